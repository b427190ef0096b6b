"""`GET /metrics`: the same figures in Prometheus' exposition format, labelled app, env, service,
instance and release, for an existing Prometheus or Grafana to scrape.

Requests are counters since the control plane started (Prometheus takes a restart's reset in
its stride); latency is a histogram with Prometheus' usual buckets, filled from launchdeck's
finer ones; CPU, memory and the add-ons' figures are the last collection pass's gauges.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.registry import Collector, CollectorRegistry

from launchdeck.controlplane.metrics.store import RequestPoint
from launchdeck.domain import Health, Instance, InstanceState
from launchdeck.domain.metrics import GAUGES, Sample, Series, bucket_value

LABELS = ("app", "env", "service", "instance", "release")
LE_SECONDS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_FLOAT_INF = float("inf")
SERVING = (Health.HEALTHY, Health.NO_CHECK)


def labels(series: Series) -> list[str]:
    return [series.app, series.env, series.service, series.instance, series.release]


class Exposition(Collector):
    """Built afresh on every scrape from the callables' current answers."""

    def __init__(
        self,
        totals: Callable[[], Sequence[RequestPoint]],
        samples: Callable[[], Sequence[Sample]],
        instances: Callable[[], Sequence[Instance]],
    ) -> None:
        self.totals, self.samples, self.instances = totals, samples, instances

    def collect(self) -> Iterator[CounterMetricFamily | GaugeMetricFamily | HistogramMetricFamily]:
        totals = self.totals()
        yield from _requests(totals)
        yield _latency(totals)
        yield from _gauges(self.samples())
        yield from _instances(self.instances())


def registry(exposition: Exposition) -> CollectorRegistry:
    found = CollectorRegistry(auto_describe=False)
    found.register(exposition)
    return found


def _requests(totals: Iterable[RequestPoint]) -> Iterator[CounterMetricFamily]:
    requests = CounterMetricFamily(
        "launchdeck_http_requests", "Requests the router answered, by status class.",
        labels=(*LABELS, "status"),
    )  # fmt: skip
    sent = CounterMetricFamily(
        "launchdeck_http_response_bytes", "Bytes the router sent to clients.", labels=LABELS
    )
    for point in totals:
        for klass, n in sorted(point.statuses.items()):
            requests.add_metric([*labels(point.series), klass], n)
        sent.add_metric(labels(point.series), point.bytes_out)
    yield requests
    yield sent


def _latency(totals: Iterable[RequestPoint]) -> HistogramMetricFamily:
    family = HistogramMetricFamily(
        "launchdeck_http_request_duration_seconds",
        "Time from a request's first byte to its response's last, through the router.",
        labels=LABELS,
    )
    for point in totals:
        counts = [0] * (len(LE_SECONDS) + 1)
        total = 0.0
        for bucket, n in point.total_ms.items():
            seconds = bucket_value(bucket) / 1000
            total += seconds * n
            slot = next((i for i, le in enumerate(LE_SECONDS) if seconds <= le), len(LE_SECONDS))
            counts[slot] += n
        cumulative, buckets = 0, []
        for le, n in zip((*LE_SECONDS, _FLOAT_INF), counts, strict=True):
            cumulative += n
            buckets.append(("+Inf" if le == _FLOAT_INF else repr(le), float(cumulative)))
        family.add_metric(labels(point.series), buckets, sum_value=total)
    return family


def _gauges(samples: Iterable[Sample]) -> Iterator[GaugeMetricFamily]:
    families: dict[str, GaugeMetricFamily] = {}
    for s in samples:
        family = families.get(s.name)
        if family is None:
            doc = GAUGES.get(s.name, s.name).capitalize() + "."
            family = families[s.name] = GaugeMetricFamily(
                f"launchdeck_{s.name}", doc, labels=LABELS
            )
        family.add_metric(labels(s.series), s.value)
    yield from families.values()


def _instances(instances: Iterable[Instance]) -> Iterator[CounterMetricFamily | GaugeMetricFamily]:
    up = GaugeMetricFamily(
        "launchdeck_instance_up", "1 while an instance runs and passes its checks.", labels=LABELS
    )
    restarts = CounterMetricFamily(
        "launchdeck_instance_restarts", "Times the reconciler replaced the instance.", labels=LABELS
    )
    for inst in instances:
        series = Series(inst.app, inst.env, inst.service, inst.id, f"v{inst.release}")
        healthy = inst.state == InstanceState.RUNNING and inst.health in SERVING
        up.add_metric(labels(series), 1.0 if healthy else 0.0)
        restarts.add_metric(labels(series), inst.restarts)
    yield up
    yield restarts
