"""Deploy notifications to webhooks (Slack-compatible JSON: `text` plus `blocks`).

Posting happens on a background thread from a queue: a slow, failing or rate-limiting webhook
never delays a deployment. A `429` is retried after its `Retry-After` (capped), a 5xx or a
connection error after a short backoff, up to `attempts` tries; then the message is dropped and
logged.
"""

from __future__ import annotations

import logging
import queue
import threading
from dataclasses import dataclass
from typing import Any

import httpx

from launchdeck.system import SYSTEM_CLOCK, Clock

log = logging.getLogger("launchdeck.notify")

EMOJI = {"started": ":rocket:", "succeeded": ":white_check_mark:", "failed": ":x:"}
EMOJI["rolled_back"] = ":rewind:"
MAX_RETRY_AFTER = 30.0


@dataclass(frozen=True)
class Notice:
    app: str
    env: str
    kind: str  # started | succeeded | failed | rolled_back
    release: str  # vN
    detail: str = ""

    def payload(self) -> dict[str, Any]:
        headline = f"{self.app}/{self.env} {self.release}: deploy {self.kind.replace('_', ' ')}"
        text = f"{EMOJI.get(self.kind, '')} {headline}".strip()
        blocks: list[dict[str, Any]] = [
            {"type": "section", "text": {"type": "mrkdwn", "text": f"*{text}*"}}
        ]
        if self.detail:
            blocks.append(
                {"type": "section", "text": {"type": "mrkdwn", "text": f"```{self.detail}```"}}
            )
        blocks.append(
            {
                "type": "context",
                "elements": [
                    {"type": "mrkdwn", "text": f"app `{self.app}` · env `{self.env}`"},
                ],
            }
        )
        return {"text": text, "blocks": blocks}


class Notifier:
    def __init__(
        self,
        *,
        transport: httpx.BaseTransport | None = None,
        clock: Clock = SYSTEM_CLOCK,
        timeout: float = 5.0,
        attempts: int = 4,
        backoff: float = 1.0,
    ) -> None:
        self._client = httpx.Client(transport=transport, timeout=timeout)
        self._clock = clock
        self._attempts = attempts
        self._backoff = backoff
        self._queue: queue.Queue[tuple[str, Notice] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="notifier", daemon=True)
        self._thread.start()

    def send(self, urls: list[str], notice: Notice) -> None:
        """Queue `notice` for every URL and return at once."""
        for url in urls:
            self._queue.put((url, notice))

    def drain(self, timeout: float = 10.0) -> None:
        """Wait until the queue is empty (tests, shutdown)."""
        done = threading.Event()

        def wait() -> None:
            self._queue.join()
            done.set()

        threading.Thread(target=wait, daemon=True).start()
        done.wait(timeout)

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=5)
        self._client.close()

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            try:
                if item is None:
                    return
                self._deliver(*item)
            except Exception:
                log.exception("webhook delivery failed")
            finally:
                self._queue.task_done()

    def _deliver(self, url: str, notice: Notice) -> None:
        for attempt in range(1, self._attempts + 1):
            wait = self._backoff * 2 ** (attempt - 1)
            try:
                response = self._client.post(url, json=notice.payload())
            except httpx.HTTPError as exc:
                outcome = f"{type(exc).__name__}"
            else:
                if response.status_code < 400:
                    return
                outcome = f"HTTP {response.status_code}"
                if response.status_code == 429:
                    wait = _retry_after(response, default=wait)
                elif response.status_code < 500:
                    log.warning("webhook %s refused the notice: %s", _host(url), outcome)
                    return  # a 4xx other than 429 will not get better by retrying
            if attempt < self._attempts:
                self._clock.sleep(wait)
        log.warning("webhook %s: gave up after %d tries (%s)", _host(url), self._attempts, outcome)


def _retry_after(response: httpx.Response, *, default: float) -> float:
    try:
        return min(max(0.0, float(response.headers.get("Retry-After", ""))), MAX_RETRY_AFTER)
    except ValueError:
        return default


def _host(url: str) -> str:
    # webhook URLs carry their secret in the path: log the host only
    return httpx.URL(url).host
