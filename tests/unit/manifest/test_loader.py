from dataclasses import replace
from pathlib import Path

import pytest

from launchdeck.domain import (
    Amount,
    BuildSpec,
    EnvOverride,
    GitSpec,
    HealthCheck,
    Manifest,
    ReleaseSpec,
    Resources,
    Rollout,
    Scale,
    ServiceSpec,
    TestSpec,
)
from launchdeck.domain.autoscale import Autoscale, ScaleMetric, Target
from launchdeck.manifest import ManifestError, load_manifest, parse_manifest

RPS = ScaleMetric.REQUESTS_PER_INSTANCE

MiB = 1024**2

FULL = """\
app = "shop"
[build]
kind = "python"
command = "npm run build"
[release]
command = "python manage.py migrate"
timeout = "5m"
[services.web]
command = "gunicorn shop.wsgi --bind 0.0.0.0:$PORT"
port = "$PORT"
health = { path = "/health", interval = "1s", timeout = "2s", healthy = 2, unhealthy = 3, grace = "30s" }
scale = { count = 2, min = 2, max = 8, cpu = 60, requests_per_instance = 200 }
resources = { cpu = 0.5, memory = "512MiB" }
rollout = { max_surge = "100%", max_unavailable = 0 }
drain = "10s"
stop_timeout = "30s"
[services.worker]
command = "python -m shop.worker"
[environments.production]
scale.web = { count = 3, min = 3, max = 20 }
health.web = { path = "/ready" }
resources.web = { memory = "1GiB" }
config = { LOG_LEVEL = "info" }
domains = ["api.example.com"]
"""

WEB = ServiceSpec(
    name="web",
    command="gunicorn shop.wsgi --bind 0.0.0.0:$PORT",
    port=True,
    health=HealthCheck(
        path="/health", interval=1.0, timeout=2.0, healthy=2, unhealthy=3, grace=30.0
    ),
    scale=Scale(count=2, min=2, max=8, cpu=60, requests_per_instance=200),
    resources=Resources(cpu=0.5, memory=512 * MiB),
    rollout=Rollout(max_surge=Amount(100, percent=True), max_unavailable=Amount(0)),
    drain=10.0,
    stop_timeout=30.0,
    autoscale=Autoscale(min=2, max=8, targets=(Target(ScaleMetric.CPU, 60.0), Target(RPS, 200.0))),
)
WORKER = ServiceSpec(name="worker", command="python -m shop.worker")


def error_text(text: str) -> str:
    with pytest.raises(ManifestError) as caught:
        parse_manifest(text)
    return str(caught.value)


def test_full_example_parses_to_domain_objects() -> None:
    assert parse_manifest(FULL) == Manifest(
        app="shop",
        services={"web": WEB, "worker": WORKER},
        build=BuildSpec(kind="python", command="npm run build"),
        release=ReleaseSpec(command="python manage.py migrate", timeout=300.0),
        environments={
            "production": EnvOverride(
                scale={"web": Scale(count=3, min=3, max=20, cpu=60, requests_per_instance=200)},
                health={"web": HealthCheck(path="/ready", interval=1.0, timeout=2.0, grace=30.0)},
                resources={"web": Resources(cpu=0.5, memory=1024 * MiB)},
                config={"LOG_LEVEL": "info"},
                domains=("api.example.com",),
                autoscale={"web": replace(WEB.autoscale, min=3, max=20)},  # type: ignore[type-var]
            )
        },
    )


def test_full_example_for_production_applies_the_merged_overrides() -> None:
    web = parse_manifest(FULL).for_env("production").services["web"]
    assert (web.scale.count, web.scale.max, web.health, web.resources.memory) == (
        3,
        20,
        HealthCheck(path="/ready"),
        1024 * MiB,
    )
    assert web.autoscale is not None and (web.autoscale.min, web.autoscale.max) == (3, 20)


def test_minimal_manifest_gets_domain_defaults() -> None:
    manifest = parse_manifest('[services.web]\ncommand = "serve"\nport = true\n')
    assert manifest == Manifest(
        app=None,
        services={"web": ServiceSpec(name="web", command="serve", port=True, health=HealthCheck())},
    )


def test_several_issues_are_reported_at_once_in_file_order() -> None:
    text = """\
app = "Shop"
[services.web]
command = "serve"
port = 8000
helth = { path = "/" }
scale = { count = -1 }
[services.worker]
command = 5
"""
    assert error_text(text) == "\n".join([
        "launchdeck.toml: app: should be at most 30 lowercase letters, digits or '-', "
        "starting with a letter (got 'Shop'); fix: use 'shop'",
        "launchdeck.toml: services.web.port: a fixed port number is not supported (got 8000); "
        'fix: use "$PORT": launchdeck assigns each instance its own port',
        "launchdeck.toml: services.web.helth: unknown key (got 'helth'); "
        "fix: did you mean 'health'?",
        "launchdeck.toml: services.web.scale.count: should be at least 0 (got -1); "
        "fix: use 0 or more",
        "launchdeck.toml: services.worker.command: should be a string (got 5); "
        'fix: quote it: command = "5"',
    ])  # fmt: skip


def test_error_carries_structured_issues() -> None:
    with pytest.raises(ManifestError) as caught:
        parse_manifest('[services.web]\ncommand = "serve"\nport = true\nhealth = { path = "ok" }\n')
    [issue] = caught.value.issues
    assert (issue.path, issue.value, issue.fix) == ("services.web.health.path", "ok", "use '/ok'")


def test_source_names_the_file_in_every_line() -> None:
    with pytest.raises(ManifestError) as caught:
        parse_manifest("app = 1\nbuild = 2\n", source="apps/shop/launchdeck.toml")
    assert str(caught.value) == (
        'apps/shop/launchdeck.toml: app: should be a string (got 1); fix: quote it: app = "1"\n'
        "apps/shop/launchdeck.toml: build: should be a table (got 2); "
        'fix: use build = { kind = "python" }'
    )


def test_toml_syntax_error_names_line_and_column() -> None:
    assert error_text('app = "shop"\n[services.web]\ncommand = serve\n') == (
        "launchdeck.toml: line 3, column 11: invalid value (got 'command = serve'); "
        'fix: put text in quotes: key = "value"'
    )


def test_toml_duplicate_key_is_a_syntax_error() -> None:
    assert error_text('app = "a"\napp = "b"\n') == (
        "launchdeck.toml: line 2, column 10: cannot overwrite a value (got 'app = \"b\"'); "
        "fix: each key may appear once; remove the duplicate"
    )


def test_unterminated_string_suggests_closing_it() -> None:
    assert error_text('app = "shop\n') == (
        "launchdeck.toml: line 1, column 12: illegal character '\\n' (got 'app = \"shop'); "
        'fix: close the string on the same line: key = "value"'
    )


def test_no_services_is_an_error() -> None:
    assert error_text('app = "shop"\n') == (
        "launchdeck.toml: services: at least one service is required; fix: add [services.web] "
        'with command = "..." (web receives traffic on $PORT), '
        'or a Procfile with "web: <command>"'
    )


def test_services_passed_in_apply_when_the_text_has_none() -> None:
    manifest = parse_manifest('app = "shop"\n', services={"worker": WORKER})
    assert manifest.services == {"worker": WORKER}


def test_text_services_win_over_services_passed_in() -> None:
    manifest = parse_manifest('[services.worker]\ncommand = "python -m shop.worker"\n',
                              services={"web": WEB})  # fmt: skip
    assert list(manifest.services) == ["worker"]


def write(directory: Path, **files: str) -> Path:
    for name, text in files.items():
        (directory / name.replace("_", ".")).write_text(text)
    return directory


def test_load_reads_launchdeck_toml(tmp_path: Path) -> None:
    app = write(tmp_path, launchdeck_toml=FULL)
    assert load_manifest(app) == parse_manifest(FULL)


def test_load_falls_back_to_a_bare_procfile(tmp_path: Path) -> None:
    (tmp_path / "Procfile").write_text("web: gunicorn app:app\nworker: celery -A app worker\n")
    assert load_manifest(tmp_path) == Manifest(
        app=None,
        services={
            "web": ServiceSpec("web", "gunicorn app:app", port=True, health=HealthCheck()),
            "worker": ServiceSpec("worker", "celery -A app worker"),
        },
    )


def test_load_ignores_procfile_when_toml_defines_services(tmp_path: Path) -> None:
    (tmp_path / "Procfile").write_text("not a procfile line\n")
    write(tmp_path, launchdeck_toml='[services.api]\ncommand = "serve"\n')
    assert list(load_manifest(tmp_path).services) == ["api"]


def test_load_takes_services_from_procfile_when_toml_has_none(tmp_path: Path) -> None:
    (tmp_path / "Procfile").write_text("web: serve\n")
    write(
        tmp_path,
        launchdeck_toml='app = "shop"\n[environments.staging]\nscale.web = { count = 2 }\n',
    )
    manifest = load_manifest(tmp_path)
    assert (
        manifest.app,
        list(manifest.services),
        manifest.for_env("staging").services["web"].scale,
    ) == (
        "shop",
        ["web"],
        Scale(count=2),
    )


def test_load_reports_procfile_errors_with_its_path(tmp_path: Path) -> None:
    (tmp_path / "Procfile").write_text("web serve\n")
    with pytest.raises(ManifestError) as caught:
        load_manifest(tmp_path)
    assert str(caught.value) == (
        f"{tmp_path}/Procfile: line 1: should be 'name: command' (got 'web serve'); "
        "fix: write it as 'web: serve'"
    )


def test_load_reports_toml_errors_with_its_path(tmp_path: Path) -> None:
    write(tmp_path, launchdeck_toml='[services.web]\ncomand = "serve"\n')
    with pytest.raises(ManifestError) as caught:
        load_manifest(tmp_path)
    assert str(caught.value) == (
        f"{tmp_path}/launchdeck.toml: services.web.comand: unknown key (got 'comand'); "
        "fix: did you mean 'command'?"
    )


def test_load_without_manifest_or_procfile_says_what_to_add(tmp_path: Path) -> None:
    with pytest.raises(ManifestError) as caught:
        load_manifest(tmp_path)
    assert str(caught.value) == (
        f"{tmp_path}: no launchdeck.toml or Procfile found; fix: add [services.web] with "
        'command = "..." (web receives traffic on $PORT), '
        'or a Procfile with "web: <command>"'
    )


def test_load_rejects_a_manifest_that_is_not_utf8(tmp_path: Path) -> None:
    (tmp_path / "launchdeck.toml").write_bytes(b'app = "\xff"\n')
    with pytest.raises(ManifestError) as caught:
        load_manifest(tmp_path)
    assert str(caught.value) == (
        f"{tmp_path}/launchdeck.toml: is not UTF-8 text (invalid start byte); fix: save it as UTF-8"
    )


def test_syntax_error_at_the_end_of_the_file() -> None:
    assert error_text('[services.web]\ncommand = "x"\nargs = [1,\n') == (
        "launchdeck.toml: end of file: invalid value; "
        "fix: close the string, array or table that is still open at the end of the file"
    )


def test_table_declared_twice() -> None:
    text = '[services.web]\ncommand = "x"\n[services.web]\ncommand = "y"\n'
    assert error_text(text) == (
        "launchdeck.toml: line 3, column 14: cannot declare ('services', 'web') twice "
        "(got '[services.web]'); fix: each table may appear once; merge the duplicates"
    )


SERVICES_WEB = """\
[services.web]
command = "serve"
port = "$PORT"
"""

NOTIFY = """\
[services.web]
command = "serve"
port = "$PORT"
[notify]
webhooks = ["https://hooks.slack.com/services/T/B/x", "$SLACK_URL"]
on = ["failed", "rolled_back"]
"""


def test_notify_webhooks_resolve_config_references_and_filter_outcomes() -> None:
    notify = parse_manifest(NOTIFY).notify
    config = {"SLACK_URL": "https://hooks.example.com/y"}

    assert notify.urls("failed", config) == [
        "https://hooks.slack.com/services/T/B/x",
        "https://hooks.example.com/y",
    ]
    assert notify.urls("succeeded", config) == []
    assert notify.urls("rolled_back", {}) == ["https://hooks.slack.com/services/T/B/x"]


def test_a_webhook_that_is_neither_a_url_nor_a_config_reference_is_refused() -> None:
    text = NOTIFY.replace('"$SLACK_URL"', '"hooks.slack.com/x"')
    assert error_text(text) == (
        "launchdeck.toml: notify.webhooks.1: should be an http(s) URL or $NAME of a config var "
        "holding one (got 'hooks.slack.com/x'); fix: use '$SLACK_WEBHOOK_URL' and: "
        "launchdeck config set --secret SLACK_WEBHOOK_URL=https://..."
    )


PUSHED = """\
[services.web]
command = "serve"
port = "$PORT"
[test]
command = "python -m pytest -q"
timeout = "2m"
[git]
branches = { main = "staging", "release/2" = "production" }
"""


def test_test_and_git_tables_parse_to_domain_objects() -> None:
    manifest = parse_manifest(PUSHED)

    assert manifest.test == TestSpec(command="python -m pytest -q", timeout=120.0)
    assert manifest.git == GitSpec({"main": "staging", "release/2": "production"})
    assert manifest.git.env_for("release/2") == "production"
    assert manifest.git.env_for("feature") is None


def test_without_test_and_git_tables_nothing_is_tested_and_main_deploys_staging() -> None:
    manifest = parse_manifest('[services.web]\ncommand = "serve"\n')

    assert manifest.test is None
    assert manifest.git.branches == {"main": "staging"}


def test_a_test_table_needs_a_command_and_a_positive_timeout() -> None:
    assert error_text('[services.web]\ncommand = "serve"\n[test]\ntimeout = "0s"\n') == "\n".join([
        'launchdeck.toml: test.command: is required; fix: add command = "python -m pytest -q"',
        "launchdeck.toml: test.timeout: should be greater than 0 (got '0s'); fix: use a value "
        'greater than 0, e.g. timeout = "5m"',
    ])  # fmt: skip


def test_git_branches_map_to_environment_names() -> None:
    text = '[services.web]\ncommand = "serve"\n[git]\nbranches = { main = "Staging" }\n'
    assert error_text(text) == (
        "launchdeck.toml: git.branches.main: should be at most 30 lowercase letters, digits or "
        "'-', starting with a letter (got 'Staging'); fix: use 'staging'"
    )


def test_an_environment_replaces_the_add_ons_it_names_and_keeps_the_others() -> None:
    manifest = parse_manifest(
        SERVICES_WEB
        + '[addons.postgres]\nversion = "15"\n[addons.redis]\n'
        + '[environments.production.addons.postgres]\nversion = "16"\n'
    )

    production, staging = manifest.for_env("production").addons, manifest.for_env("staging").addons

    assert production.postgres is not None and production.postgres.version == "16"
    assert production.redis == staging.redis is not None
    assert staging.postgres is not None and staging.postgres.version == "15"
