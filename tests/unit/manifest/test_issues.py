from typing import Any

from pydantic import ValidationError

from launchdeck.manifest.issues import issues_from
from launchdeck.manifest.schema import ManifestFile

WEB = {"command": "serve", "port": True}


def issues(raw: dict[str, Any]) -> list[str]:
    try:
        ManifestFile.model_validate(raw, context={"services": tuple(raw.get("services", ()))})
    except ValidationError as error:
        return [str(issue) for issue in issues_from(error, raw, ManifestFile)]
    return []


def test_unknown_key_suggests_the_closest_allowed_key() -> None:
    raw = {"services": {"web": {**WEB, "helth": {"path": "/"}}}}
    assert issues(raw) == [
        "services.web.helth: unknown key (got 'helth'); fix: did you mean 'health'?"
    ]


def test_unknown_key_without_a_close_match_lists_the_allowed_keys() -> None:
    raw = {"services": {"web": {**WEB, "replicas": 2}}}
    assert issues(raw) == [
        "services.web.replicas: unknown key (got 'replicas'); fix: remove it; allowed keys are: "
        "autoscale, command, drain, health, port, queue, resources, rollout, scale, stop_timeout"
    ]


def test_unknown_top_level_key() -> None:
    assert issues({"service": {}}) == [
        "service: unknown key (got 'service'); fix: did you mean 'services'?"
    ]


def test_unknown_key_in_an_environment_override() -> None:
    raw = {"services": {"web": WEB}, "environments": {"prod": {"scale": {"web": {"cnt": 2}}}}}
    assert issues(raw) == [
        "environments.prod.scale.web.cnt: unknown key (got 'cnt'); fix: did you mean 'count'?"
    ]


def test_missing_key_shows_an_example() -> None:
    assert issues({"release": {"timeout": "1m"}}) == [
        'release.command: is required; fix: add command = "python manage.py migrate"'
    ]


def test_misspelt_required_key_is_reported_once() -> None:
    assert issues({"release": {"comand": "migrate"}}) == [
        "release.comand: unknown key (got 'comand'); fix: did you mean 'command'?"
    ]


def test_number_where_a_string_belongs_says_quote_it() -> None:
    raw = {"services": {"web": WEB}, "environments": {"prod": {"config": {"WORKERS": 4}}}}
    assert issues(raw) == [
        'environments.prod.config.WORKERS: should be a string (got 4); fix: quote it: WORKERS = "4"'
    ]


def test_bool_where_a_string_belongs_says_quote_it() -> None:
    raw = {"services": {"web": WEB}, "environments": {"prod": {"config": {"DEBUG": False}}}}
    assert issues(raw) == [
        "environments.prod.config.DEBUG: should be a string (got False); "
        'fix: quote it: DEBUG = "false"'
    ]


def test_number_in_a_list_of_strings_says_quote_it() -> None:
    raw = {"services": {"web": WEB}, "environments": {"prod": {"domains": [5]}}}
    assert issues(raw) == [
        'environments.prod.domains.0: should be a string (got 5); fix: quote it: "5"'
    ]


def test_string_where_an_integer_belongs() -> None:
    raw = {"services": {"web": {**WEB, "scale": {"count": "2"}}}}
    assert issues(raw) == [
        "services.web.scale.count: should be an integer (got '2'); fix: use count = 2"
    ]


def test_fraction_where_an_integer_belongs() -> None:
    raw = {"services": {"web": {**WEB, "health": {"healthy": 2.5}}}}
    assert issues(raw) == [
        "services.web.health.healthy: should be an integer (got 2.5); fix: use healthy = 2"
    ]


def test_bool_is_not_a_number() -> None:
    raw = {"services": {"web": {**WEB, "resources": {"cpu": True}}}}
    assert issues(raw) == [
        "services.web.resources.cpu: should be a number (got True); fix: use cpu = 0.5"
    ]


def test_string_where_a_table_belongs() -> None:
    raw = {"services": {"web": {**WEB, "health": "/health"}}}
    assert issues(raw) == [
        "services.web.health: should be a table (got '/health'); "
        'fix: use health = { path = "/health" }'
    ]


def test_string_where_a_list_belongs() -> None:
    raw = {"services": {"web": WEB}, "environments": {"prod": {"domains": "a.example.com"}}}
    assert issues(raw) == [
        "environments.prod.domains: should be a list (got 'a.example.com'); "
        'fix: use domains = ["api.example.com"]'
    ]


def test_below_minimum() -> None:
    raw = {"services": {"web": {**WEB, "health": {"unhealthy": 0}}}}
    assert issues(raw) == [
        "services.web.health.unhealthy: should be at least 1 (got 0); fix: use 1 or more"
    ]


def test_above_maximum() -> None:
    raw = {"services": {"web": {**WEB, "scale": {"cpu": 150}}}}
    assert issues(raw) == [
        "services.web.scale.cpu: should be at most 100 (got 150); fix: use 100 or less"
    ]


def test_not_positive_duration_reports_the_value_as_written() -> None:
    raw = {"services": {"web": {**WEB, "health": {"interval": "-1s"}}}}
    assert issues(raw) == [
        "services.web.health.interval: should be greater than 0 (got '-1s'); "
        'fix: use a value greater than 0, e.g. interval = "1s"'
    ]


def test_choice_with_a_typo() -> None:
    assert issues({"build": {"kind": "pyhton"}}) == [
        "build.kind: should be one of 'python', 'node', 'generic' (got 'pyhton'); "
        "fix: did you mean 'python'?"
    ]


def test_choice_without_a_close_match_lists_the_choices() -> None:
    assert issues({"build": {"kind": "ruby"}}) == [
        "build.kind: should be one of 'python', 'node', 'generic' (got 'ruby'); "
        "fix: use one of 'python', 'node', 'generic'"
    ]


def test_issues_follow_the_order_of_the_file() -> None:
    raw = {
        "services": {"web": {"port": 1, "command": 2}},
        "app": 3,
    }
    assert [line.split(":")[0] for line in issues(raw)] == [
        "services.web.port",
        "services.web.command",
        "app",
    ]
