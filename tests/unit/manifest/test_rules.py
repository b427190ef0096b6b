from launchdeck.domain import (
    Amount,
    EnvOverride,
    HealthCheck,
    Manifest,
    Rollout,
    Scale,
    ServiceSpec,
)
from launchdeck.manifest.rules import check

WEB = ServiceSpec("web", "serve", port=True, health=HealthCheck())
WORKER = ServiceSpec("worker", "work")


def lines(manifest: Manifest) -> list[str]:
    return [str(issue) for issue in check(manifest)]


def test_a_valid_manifest_has_no_issues() -> None:
    assert lines(Manifest(app=None, services={"web": WEB, "worker": WORKER})) == []


def test_at_least_one_service() -> None:
    assert lines(Manifest(app=None, services={})) == [
        "services: at least one service is required; fix: add [services.web] with "
        'command = "..." (web receives traffic on $PORT), '
        'or a Procfile with "web: <command>"'
    ]


def test_health_on_a_portless_service() -> None:
    worker = ServiceSpec("worker", "work", health=HealthCheck())
    assert lines(Manifest(app=None, services={"worker": worker})) == [
        "services.worker.health: worker has no port, so there is nothing to health-check; "
        'fix: add port = "$PORT" to the service or remove health'
    ]


def test_health_override_on_a_portless_service() -> None:
    env = EnvOverride(health={"worker": HealthCheck(path="/x")})
    manifest = Manifest(app=None, services={"worker": WORKER}, environments={"prod": env})
    assert lines(manifest) == [
        "environments.prod.health.worker: worker has no port, so there is nothing to "
        'health-check; fix: add port = "$PORT" to the service or remove health'
    ]


def with_scale(scale: Scale) -> Manifest:
    return Manifest(app=None, services={"web": ServiceSpec("web", "serve", scale=scale)})


def test_count_below_min() -> None:
    assert lines(with_scale(Scale(count=1, min=2))) == [
        "services.web.scale.count: should be at least min (2) (got 1); "
        "fix: use count = 2 or lower min"
    ]


def test_count_above_max() -> None:
    assert lines(with_scale(Scale(count=9, max=8))) == [
        "services.web.scale.count: should be at most max (8) (got 9); "
        "fix: use count = 8 or raise max"
    ]


def test_min_above_max_is_one_issue() -> None:
    assert lines(with_scale(Scale(count=5, min=6, max=4))) == [
        "services.web.scale.min: should be at most max (4) (got 6); fix: lower min or raise max"
    ]


def test_merged_environment_scale_is_checked() -> None:
    web = ServiceSpec("web", "serve", scale=Scale(count=2, min=2, max=8))
    env = EnvOverride(scale={"web": Scale(count=12, min=2, max=8)})
    manifest = Manifest(app=None, services={"web": web}, environments={"production": env})
    assert lines(manifest) == [
        "environments.production.scale.web.count: should be at most max (8) (got 12); "
        "fix: use count = 8 or raise max"
    ]


def test_rollout_that_can_never_progress() -> None:
    rollout = Rollout(max_surge=Amount(0, percent=True), max_unavailable=Amount(0))
    manifest = Manifest(app=None, services={"web": ServiceSpec("web", "x", rollout=rollout)})
    assert lines(manifest) == [
        "services.web.rollout: max_surge and max_unavailable are both 0, so a deploy could never "
        "replace an instance (got {'max_surge': '0%', 'max_unavailable': '0'}); "
        'fix: set max_surge = "100%" (start new instances first) or max_unavailable = 1'
    ]


def test_rollout_with_no_surge_but_unavailable_is_fine() -> None:
    rollout = Rollout(max_surge=Amount(0), max_unavailable=Amount(1))
    assert lines(Manifest(app=None, services={"w": ServiceSpec("w", "x", rollout=rollout)})) == []
