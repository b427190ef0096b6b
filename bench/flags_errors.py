"""Feature flags and error tracking:

- `flag_eval_us`: the median time of one flag evaluation in an app, through OpenFeature's client
  API and launchdeck's provider (local: no request), over varied users and a flag with a rule
  and a 10% rollout; `flag_eval_core_us` is the provider's own part (`evaluate_in`).
- `error_ingest_per_s`: events per second the control plane takes in through the Sentry
  envelope endpoint (gzip, the real SDK's envelopes, 4 senders, grouped, triaged, stored);
  `error_pipeline_per_s` is the same events through the tracker alone (no HTTP), in process.
"""

from __future__ import annotations

import gzip
import json
import statistics
import tempfile
import threading
import time
from pathlib import Path

import httpx
import sentry_sdk
from launchdeck_openfeature import Context, FlagSet, evaluate_in
from launchdeck_openfeature.provider import LaunchdeckProvider
from openfeature import api
from openfeature.evaluation_context import EvaluationContext
from sentry_sdk.envelope import Envelope
from sentry_sdk.transport import Transport
from tests.harness import ControlPlane

from launchdeck.controlplane.errortracking.envelope import parse_envelope
from launchdeck.controlplane.errortracking.store import ErrorStore
from launchdeck.controlplane.errortracking.tracker import ErrorTracker
from launchdeck.controlplane.notify import Notifier
from launchdeck.controlplane.store import Store

FLAG_SET = {
    "version": 1, "app": "bench", "env": "staging", "latest_app_version": "1.4.2",
    "flags": {"new-checkout": {"enabled": True, "rollout": 10, "allow": ["user:vip"],
                               "rules": ["app_version >= latest"]}},
}  # fmt: skip
EVALUATIONS = 20_000
BATCH = 1_000
EVENTS = 2_000  # within one DSN's burst: the figure is the pipeline's, not the rate limit's
SENDERS = 4


def _feed(request: httpx.Request) -> httpx.Response:
    if request.method == "POST":
        return httpx.Response(204)
    if request.headers.get("if-none-match") == '"1"':
        time.sleep(0.05)
        return httpx.Response(304)
    return httpx.Response(200, json=FLAG_SET, headers={"ETag": '"1"'})


def flag_evaluation() -> dict[str, float]:
    provider = LaunchdeckProvider("http://flags.invalid/flags/v1/set", "ldf_bench",
                                  transport=httpx.MockTransport(_feed), wait=1.0)  # fmt: skip
    api.set_provider_and_wait(provider)
    client = api.get_client()
    contexts = [
        EvaluationContext(targeting_key=f"user-{n}", attributes={"app_version": "1.4.2"})
        for n in range(BATCH)
    ]
    batches = []
    for _ in range(EVALUATIONS // BATCH):
        started = time.perf_counter()
        for context in contexts:
            client.get_boolean_value("new-checkout", False, context)
        batches.append((time.perf_counter() - started) / BATCH * 1e6)
    api.shutdown()
    flags = FlagSet.from_json(FLAG_SET)
    plain = [Context(f"user-{n}", {"app_version": "1.4.2"}) for n in range(BATCH)]
    core = []
    for _ in range(EVALUATIONS // BATCH):
        started = time.perf_counter()
        for ctx in plain:
            evaluate_in(flags, "new-checkout", ctx)
        core.append((time.perf_counter() - started) / BATCH * 1e6)
    return {
        "flag_eval_us": statistics.median(batches),
        "flag_eval_core_us": statistics.median(core),
    }


class _Keep(Transport):
    def __init__(self) -> None:
        super().__init__({})
        self.sent: list[bytes] = []

    def capture_envelope(self, envelope: Envelope) -> None:
        self.sent.append(envelope.serialize())


def _envelopes() -> list[bytes]:
    """The SDK's own envelopes: 10 different errors, the bodies gzip'd as its transport sends."""
    keep = _Keep()
    sentry_sdk.init(dsn="http://k@127.0.0.1:9/1", transport=keep, release="v1",
                    default_integrations=False)  # fmt: skip
    for n in range(EVENTS):
        try:
            raise [ValueError, KeyError, TypeError, OSError, LookupError][n % 5](f"case {n % 10}")
        except Exception:
            sentry_sdk.capture_exception()
    sentry_sdk.flush()
    sentry_sdk.get_client().close()
    return [gzip.compress(body) for body in keep.sent]


def error_ingest(cp: ControlPlane) -> dict[str, float]:
    cp.cli("apps", "create", "bench-errors")
    dsn = cp.cli("errors", "dsn", "--app", "bench-errors").out.strip()
    key, project = dsn.split("//")[1].split("@")[0], dsn.rsplit("/", 1)[1]
    base = json.loads((cp.home / "api.json").read_text())["url"]
    bodies = _envelopes()
    headers = {"Content-Encoding": "gzip", "X-Sentry-Auth": f"Sentry sentry_key={key}"}
    refused: list[int] = []

    def sender(part: list[bytes]) -> None:
        with httpx.Client(base_url=base, trust_env=False) as http:
            for body in part:
                status = http.post(f"/api/{project}/envelope/", content=body,
                                   headers=headers).status_code  # fmt: skip
                if status != 200:
                    refused.append(status)

    threads = [threading.Thread(target=sender, args=(bodies[n::SENDERS],)) for n in range(SENDERS)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    took = time.perf_counter() - started
    assert not refused, refused[:5]
    groups = cp.cli("errors", "--app", "bench-errors", "--all", "--limit", "100", "--json").json()
    assert sum(g["count"] for g in groups["groups"]) == len(bodies), groups
    return {"error_ingest_per_s": len(bodies) / took}


def error_pipeline() -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        state = Store(Path(tmp) / "launchdeck.db")
        state.create_app("shop", ["staging"], time.time())
        tracker = ErrorTracker(ErrorStore(Path(tmp) / "errors.db"), state, Notifier(), lambda *_: 0)
        project = tracker.store.project_for("shop", "staging")
        events = [parse_envelope(gzip.decompress(body)).events for body in _envelopes()]
        started = time.perf_counter()
        for batch in events:
            tracker.ingest(project, list(batch), "127.0.0.1")
        took = time.perf_counter() - started
        tracker.store.close()
        state.close()
    return {"error_pipeline_per_s": len(events) / took}


def measure(cp: ControlPlane) -> dict[str, float]:
    return {**flag_evaluation(), **error_ingest(cp), **error_pipeline()}
