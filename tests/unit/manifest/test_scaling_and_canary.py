"""`[services.<name>.autoscale]` and `[deploy]`: what they mean, and every mistake named with
its field, its value and a fix."""

import pytest

from launchdeck.domain.autoscale import Autoscale, ScaleMetric, Target
from launchdeck.domain.canary import DeploySpec, Strategy
from launchdeck.manifest import ManifestError, parse_manifest

WEB = 'app = "shop"\n[services.web]\ncommand = "python app.py"\nport = "$PORT"\n'
WORKER = '[services.worker]\ncommand = "python worker.py"\n'
RPS = ScaleMetric.REQUESTS_PER_INSTANCE


def error(text: str) -> str:
    with pytest.raises(ManifestError) as caught:
        parse_manifest(text)
    return str(caught.value)


def test_autoscale_table_with_defaults():
    text = WEB + '[services.web.autoscale]\nmin = 2\nmax = 8\ntarget = { cpu = "60%" }\n'
    assert parse_manifest(text).services["web"].autoscale == Autoscale(
        min=2, max=8, targets=(Target(ScaleMetric.CPU, 60.0),)
    )


def test_the_shorthand_in_scale_means_the_same():
    text = WEB + "scale = { count = 2, max = 6, requests_per_instance = 50 }\n"
    assert parse_manifest(text).services["web"].autoscale == Autoscale(
        min=2, max=6, targets=(Target(RPS, 50.0),)
    )


def test_an_environment_changes_bounds_and_targets():
    text = (
        WEB + '[services.web.autoscale]\nmax = 8\ntarget = { cpu = "60%" }\n'
        "[environments.production.autoscale.web]\nmin = 3\nmax = 20\n"
        "target = { p95_ms = 300 }\n"
    )
    prod = parse_manifest(text).for_env("production").services["web"].autoscale
    assert prod == Autoscale(min=3, max=20, targets=(Target(ScaleMetric.P95_MS, 300.0),))


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            '[services.web.autoscale]\nmin = 9\nmax = 8\ntarget = { cpu = "60%" }\n',
            "services.web.autoscale.min: should be at most max (8) (got 9); "
            "fix: use min = 8 or less, or raise max",
        ),
        (
            "[services.web.autoscale]\nmax = 8\ntarget = { rps = 50 }\n",
            "services.web.autoscale.target.rps: unknown key (got 'rps'); fix: remove it; "
            "allowed keys are: cpu, p95_ms, queue_depth, requests_per_instance",
        ),
        (
            "[services.web.autoscale]\nmax = 8\ntarget = {}\n",
            "services.web.autoscale.target: should name a figure",
        ),
        (
            '[services.web.autoscale]\nmax = 8\ntarget = { cpu = "160%" }\n',
            "services.web.autoscale.target.cpu: should be a percentage from 1% to 100% "
            "(got '160%'); fix: use a percentage like '60%'",
        ),
        (
            '[services.web.autoscale]\ntarget = { cpu = "60%" }\n',
            "services.web.autoscale.max: is required; fix: add max = 8",
        ),
        (
            'scale = { cpu = 60 }\n[services.web.autoscale]\nmax = 8\ntarget = { cpu = "60%" }\n',
            "services.web.scale.cpu: autoscaling is set in this service's [autoscale] table "
            "(got 60); fix: remove scale.cpu; give it in autoscale as target = { cpu = ... }",
        ),
        (
            "scale = { count = 2, cpu = 50 }\n",
            "services.web.scale.max: is required with an autoscaling target (cpu or "
            "requests_per_instance); fix: add max = 8 (the most instances to run)",
        ),
        (
            WORKER + "autoscale = { max = 3, target = { requests_per_instance = 5 } }\n",
            "services.worker.autoscale.target: worker has no port, so the router measures no "
            "requests_per_instance for it (got 'requests_per_instance'); fix: scale it on cpu: "
            'target = { cpu = "60%" }, or add port = "$PORT"',
        ),
        (
            WORKER + "autoscale = { max = 3, target = { queue_depth = 100 } }\n",
            "services.worker.autoscale.target.queue_depth: worker declares no queue, so it has "
            'no queue depth (got 100); fix: add queue = "redis:///<list key>" to the service',
        ),
        (
            WORKER + 'queue = "redis://10.0.0.5:6379/jobs"\n',
            "services.worker.queue: names a server (10.0.0.5:6379): only the environment's own "
            "Redis add-on is read (got 'redis://10.0.0.5:6379/jobs'); fix: leave the server "
            "out: 'redis:///jobs'",
        ),
        (
            WORKER + 'queue = "redis://app:s3cret@cache.internal/jobs"\n',
            "services.worker.queue: names a server (cache.internal): only the environment's "
            "own Redis add-on is read",
        ),
        (
            WORKER + 'queue = "jobs"\n',
            "services.worker.queue: should be 'redis:///<list key>': the Redis list the service "
            "consumes (got 'jobs'); fix: use 'redis:///jobs'",
        ),
        (
            WORKER + 'queue = "redis:///"\n',
            "services.worker.queue: should name a key of 1 to 256 characters",
        ),
        (
            "[environments.production.autoscale.web]\nmin = 3\n",
            "environments.production.autoscale.web.max: is required: web does not autoscale "
            "outside this environment; fix: add max = 8",
        ),
    ],
)
def test_autoscale_mistakes(extra, message):
    assert message in error(WEB + extra)


def test_a_worker_holds_its_queue_depth():
    text = (
        WEB
        + WORKER
        + (
            'queue = "redis:///dramatiq:default"\n'
            "autoscale = { max = 4, target = { queue_depth = 100 } }\n"
        )
    )
    worker = parse_manifest(text).services["worker"]
    assert worker.queue == "dramatiq:default"
    assert worker.autoscale == Autoscale(
        min=1, max=4, targets=(Target(ScaleMetric.QUEUE_DEPTH, 100.0),)
    )


def test_deploy_defaults_to_rolling_and_a_canary_takes_steps_and_a_pause():
    assert parse_manifest(WEB).deploy == DeploySpec()
    text = WEB + '[deploy]\nstrategy = "canary"\nsteps = [5, 25, 100]\npause = "30s"\n'
    assert parse_manifest(text).deploy == DeploySpec(Strategy.CANARY, (5, 25, 100), 30.0)


def test_codedeploy_presets_are_shorthands():
    text = WEB + '[deploy]\nstrategy = "ECSLinear10PercentEvery1Minutes"\n'
    deploy = parse_manifest(text).deploy
    assert deploy.canary and deploy.steps == tuple(range(10, 101, 10)) and deploy.pause == 60.0


def test_a_canary_in_production_only():
    manifest = parse_manifest(WEB + '[environments.production.deploy]\nstrategy = "canary"\n')
    assert not manifest.deploy.canary and manifest.for_env("production").deploy.canary


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            '[deploy]\nstrategy = "canary"\nsteps = [50, 10, 100]\n',
            "deploy.steps: should increase, step after step (got [50, 10, 100]); "
            "fix: use steps = [10, 50, 100]: percentages that grow, ending at 100",
        ),
        (
            '[deploy]\nstrategy = "canary"\nsteps = [10, 50]\n',
            "deploy.steps: should end at 100 (got [10, 50]); fix: use steps = [10, 50, 100]",
        ),
        (
            '[deploy]\nstrategy = "canery"\n',
            "deploy.strategy: is not a deploy strategy (got 'canery'); "
            'fix: did you mean "canary"?',
        ),
        (
            '[deploy]\nstrategy = "ECSCanary10Percent5Minutes"\nsteps = [5, 100]\n',
            "deploy.steps: is set by the preset ECSCanary10Percent5Minutes (steps = [10, 100], "
            "pause = '5m') (got [5, 100]); fix: remove steps",
        ),
        (
            WORKER + '[deploy]\nstrategy = "canary"\nservices = ["worker"]\n',
            "deploy.services: worker has no port, so a canary has no traffic of it to split "
            "(got ['worker']); fix: use services = [\"web\"]: the others roll out once the "
            "canary reaches 100%",
        ),
        (
            "[deploy]\nmax_error_rate_increase = 2\n",
            "deploy.max_error_rate_increase: should be a percentage like '20%' (got 2)",
        ),
    ],
)
def test_deploy_mistakes(extra, message):
    assert message in error(WEB + extra)


def test_a_canary_needs_a_service_with_a_port():
    text = 'app = "shop"\n' + WORKER + '[deploy]\nstrategy = "canary"\n'
    assert "deploy.strategy: no service has a port, so there is no traffic to split" in error(text)
