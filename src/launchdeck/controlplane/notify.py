"""Notifications to webhooks (Slack-compatible JSON: `text` plus `blocks`): deployments, alerts.

Posting happens on background threads, one per webhook: a slow, failing or rate-limiting
webhook never delays a deployment or another webhook. A `429` is retried after its
`Retry-After` (capped), a 5xx or a connection error after a short backoff, up to `attempts`
tries; then the message is dropped and logged.
"""

from __future__ import annotations

import logging
import queue
import threading
from dataclasses import dataclass
from typing import Any, Protocol

import httpx

from launchdeck.system import SYSTEM_CLOCK, Clock

log = logging.getLogger("launchdeck.notify")

EMOJI = {"started": ":rocket:", "succeeded": ":white_check_mark:", "failed": ":x:"}
EMOJI["rolled_back"] = ":rewind:"
MAX_RETRY_AFTER = 30.0


def escaped(text: str) -> str:
    """App-supplied text made inert in Slack's mrkdwn: no `<!channel>` ping, no forged link."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class Message(Protocol):
    """What a webhook is sent: Slack-compatible JSON."""

    def payload(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class Notice:
    app: str
    env: str
    kind: str  # started | succeeded | failed | rolled_back
    release: str  # vN, or "" while a deploy is still building
    detail: str = ""
    action: str = "deploy"  # deploy | rollback | promote | config | restart | scale

    def payload(self) -> dict[str, Any]:
        where = f"{self.app}/{self.env} {self.release}".strip()
        headline = f"{where}: {self.action} {self.kind.replace('_', ' ')}"
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
    """One queue and one thread per webhook URL: a webhook that hangs or keeps failing delays
    only its own messages, never another webhook's and never a deployment."""

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
        self._lanes: dict[str, queue.Queue[Message | None]] = {}
        self._lock = threading.Lock()

    def send(self, urls: list[str], notice: Message) -> None:
        """Queue `notice` for every URL and return at once."""
        for url in urls:
            self._lane(url).put(notice)

    def drain(self, timeout: float = 10.0) -> None:
        """Wait until every queue is empty, at most `timeout` seconds (tests, shutdown)."""
        with self._lock:
            lanes = list(self._lanes.values())
        done = threading.Event()

        def wait() -> None:
            for lane in lanes:
                lane.join()
            done.set()

        threading.Thread(target=wait, daemon=True).start()
        done.wait(timeout)

    def close(self) -> None:
        with self._lock:
            lanes, self._lanes = list(self._lanes.values()), {}
        for lane in lanes:
            lane.put(None)
        self._client.close()

    def _lane(self, url: str) -> queue.Queue[Message | None]:
        with self._lock:
            lane = self._lanes.get(url)
            if lane is None:
                lane = self._lanes[url] = queue.Queue()
                name = f"notify-{_host(url)}"
                threading.Thread(target=self._run, args=(url, lane), name=name, daemon=True).start()
            return lane

    def _run(self, url: str, lane: queue.Queue[Message | None]) -> None:
        while True:
            notice = lane.get()
            try:
                if notice is None:
                    return
                self._deliver(url, notice)
            except Exception:
                log.exception("webhook delivery failed")
            finally:
                lane.task_done()

    def _deliver(self, url: str, notice: Message) -> None:
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
