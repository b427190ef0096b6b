"""[[alerts]]: what parses into which rule, and the exact error for each way to get one wrong."""

from pathlib import Path

import pytest

from launchdeck.domain.alerts import DEFAULT_REPEAT, AlertMetric, LogAlert, MetricAlert
from launchdeck.manifest import ManifestError, load_manifest, parse_manifest
from launchdeck.manifest.alerts.schema import EXAMPLE_THRESHOLDS, AlertTable

SERVICES = (
    '[services.web]\ncommand = "serve"\nport = "$PORT"\n[services.worker]\ncommand = "work"\n'
)


def alerts(text: str) -> tuple[object, ...]:
    return parse_manifest(SERVICES + text).alerts


def issues(text: str) -> list[str]:
    with pytest.raises(ManifestError) as caught:
        parse_manifest(SERVICES + text)
    return [str(issue) for issue in caught.value.issues]


# -- what parses -------------------------------------------------------------------------------


def test_the_issues_examples_parse_to_rules() -> None:
    assert alerts(
        """
[[alerts]]
name = "slow"
metric = "p95_ms"
above = 500
for = "5m"
[[alerts]]
name = "errors"
metric = "error_rate"
above = "2%"
for = "2m"
[[alerts]]
name = "memory"
metric = "memory"
above = "90%"
[[alerts]]
name = "tracebacks"
log = "Traceback|CRITICAL"
count = 5
within = "1m"
"""
    ) == (
        MetricAlert("slow", AlertMetric.P95_MS, 500.0, for_s=300.0),
        MetricAlert("errors", AlertMetric.ERROR_RATE, 0.02, for_s=120.0),
        MetricAlert("memory", AlertMetric.MEMORY, 0.9),
        LogAlert("tracebacks", "Traceback|CRITICAL", count=5, within_s=60.0),
    )


def test_every_optional_key_of_a_metric_alert() -> None:
    assert alerts(
        """
[[alerts]]
name = "idle"
metric = "requests_per_s"
below = 0.5
datapoints = "3 of 5"
service = "web"
keep_firing_for = "5m"
repeat = "1h"
"""
    ) == (
        MetricAlert(
            "idle",
            AlertMetric.REQUESTS_PER_S,
            0.5,
            above=False,
            datapoints=(3, 5),
            service="web",
            keep_firing_for=300.0,
            repeat=3600.0,
        ),
    )


def test_every_optional_key_of_a_log_alert() -> None:
    text = """
[[alerts]]
name = "oom"
log = 'MemoryError|Killed \\(\\d+\\)'
service = "worker"
keep_firing_for = "2m"
repeat = "30m"
"""
    assert alerts(text) == (
        LogAlert(
            "oom",
            r"MemoryError|Killed \(\d+\)",
            service="worker",
            keep_firing_for=120.0,
            repeat=1800.0,
        ),
    )


@pytest.mark.parametrize(
    ("above", "threshold"),
    [("500", 500.0), ("0.5", 0.5), ('"500ms"', 500.0), ('"1.5s"', 1500.0)],
)
def test_response_times_take_milliseconds_or_a_time(above: str, threshold: float) -> None:
    [rule] = alerts(f'[[alerts]]\nname = "slow"\nmetric = "p99_ms"\nabove = {above}\n')
    assert isinstance(rule, MetricAlert) and rule.threshold == threshold


@pytest.mark.parametrize(
    ("above", "threshold"), [('"2%"', 0.02), ('"0.5%"', 0.005), ('"150%"', 1.5)]
)
def test_percentages_become_fractions(above: str, threshold: float) -> None:
    [rule] = alerts(f'[[alerts]]\nname = "hot"\nmetric = "cpu"\nabove = {above}\n')
    assert isinstance(rule, MetricAlert) and rule.threshold == threshold


def test_defaults_are_the_domain_defaults() -> None:
    [metric, log] = alerts(
        '[[alerts]]\nname = "a"\nmetric = "cpu"\nabove = "80%"\n'
        '[[alerts]]\nname = "b"\nlog = "Traceback"\n'
    )
    assert metric == MetricAlert("a", AlertMetric.CPU, 0.8)
    assert log == LogAlert("b", "Traceback")
    assert (metric.repeat, metric.keep_firing_for, metric.for_s) == (DEFAULT_REPEAT, 0.0, 0.0)


def test_an_alert_that_is_off_is_left_out() -> None:
    text = '[[alerts]]\nname = "a"\nmetric = "cpu"\nabove = "80%"\nenabled = false\n'
    assert alerts(text) == ()


def test_every_metric_has_an_example_threshold_that_parses() -> None:
    for metric, threshold in EXAMPLE_THRESHOLDS.items():
        assert alerts(f'[[alerts]]\nname = "a"\nmetric = "{metric}"\nabove = {threshold}\n')
    assert set(EXAMPLE_THRESHOLDS) == set(AlertMetric)


# -- one alert's errors ------------------------------------------------------------------------


def test_unknown_metric_suggests_the_closest() -> None:
    assert issues('[[alerts]]\nname = "slow"\nmetric = "p95"\nabove = 500\n') == [
        "alerts.0.metric: unknown metric (got 'p95'); fix: did you mean 'p95_ms'? metrics are: "
        "requests_per_s, error_rate, p50_ms, p95_ms, p99_ms, cpu, memory, crashes, "
        "health_replacements, disk_free, autoscale_capped, queue_depth"
    ]


@pytest.mark.parametrize(
    ("metric", "meant"),
    [("latency", "p95_ms"), ("5xx", "error_rate"), ("rps", "requests_per_s"), ("Memory", "memory"),
     ("error_rates", "error_rate"), ("backlog", "queue_depth")],
)  # fmt: skip
def test_unknown_metric_names_people_use_point_at_ours(metric: str, meant: str) -> None:
    [issue] = issues(f'[[alerts]]\nname = "a"\nmetric = "{metric}"\nabove = 1\n')
    assert f"fix: did you mean {meant!r}?" in issue


def test_unknown_metric_with_nothing_close_lists_them() -> None:
    assert issues('[[alerts]]\nname = "a"\nmetric = "bandwidth"\nabove = 1\n') == [
        "alerts.0.metric: unknown metric (got 'bandwidth'); fix: use one of requests_per_s, "
        "error_rate, p50_ms, p95_ms, p99_ms, cpu, memory, crashes, health_replacements, "
        "disk_free, autoscale_capped, queue_depth"
    ]


def test_counts_and_free_disk_take_their_own_units() -> None:
    text = (
        '[[alerts]]\nname = "a"\nmetric = "crashes"\nabove = "5%"\n'
        '[[alerts]]\nname = "b"\nmetric = "disk_free"\nbelow = 0.1\n'
        '[[alerts]]\nname = "c"\nmetric = "health_replacements"\nabove = "2s"\n'
    )
    assert issues(text) == [
        "alerts.0.above: crashes is a number of events, not a percentage (got '5%'); "
        "fix: use above = 5",
        "alerts.1.below: disk_free is a percentage: write it with % (got 0.1); "
        'fix: use below = "10%" (0.1 as a fraction) or "0.1%"',
        "alerts.2.above: health_replacements is a number of events, not a time (got '2s'); "
        "fix: use above = 0",
    ]


def test_a_percentage_metric_without_a_unit_says_to_write_a_percentage() -> None:
    assert issues('[[alerts]]\nname = "errors"\nmetric = "error_rate"\nabove = 2\n') == [
        'alerts.0.above: error_rate is a percentage: write it with % (got 2); fix: use above = "2%"'
    ]


def test_a_fraction_for_a_percentage_metric_offers_both_readings() -> None:
    assert issues('[[alerts]]\nname = "mem"\nmetric = "memory"\nbelow = 0.9\n') == [
        "alerts.0.below: memory is a percentage: write it with % (got 0.9); "
        'fix: use below = "90%" (0.9 as a fraction) or "0.9%"'
    ]


def test_a_time_for_a_percentage_metric() -> None:
    assert issues('[[alerts]]\nname = "cpu"\nmetric = "cpu"\nabove = "500ms"\n') == [
        "alerts.0.above: cpu is a percentage: write it with % (got '500ms'); "
        'fix: use above = "80%"'
    ]


def test_a_percentage_over_100_for_a_share() -> None:
    assert issues('[[alerts]]\nname = "e"\nmetric = "error_rate"\nabove = "120%"\n') == [
        "alerts.0.above: should be at most 100% (got '120%'); fix: use above = \"100%\" or less"
    ]


def test_a_percentage_for_a_response_time() -> None:
    assert issues('[[alerts]]\nname = "slow"\nmetric = "p95_ms"\nabove = "50%"\n') == [
        "alerts.0.above: p95_ms is a response time in milliseconds, not a percentage "
        "(got '50%'); fix: use above = 50 (milliseconds) or a time like \"50ms\""
    ]


def test_a_unit_for_requests_per_second() -> None:
    assert issues(
        '[[alerts]]\nname = "a"\nmetric = "requests_per_s"\nabove = "5%"\n'
        '[[alerts]]\nname = "b"\nmetric = "requests_per_s"\nabove = "1s"\n'
    ) == [
        "alerts.0.above: requests_per_s is a number of requests per second, not a percentage "
        "(got '5%'); fix: use above = 5",
        "alerts.1.above: requests_per_s is a number of requests per second, not a time "
        "(got '1s'); fix: use above = 100",
    ]


def test_both_above_and_below() -> None:
    text = '[[alerts]]\nname = "a"\nmetric = "cpu"\nabove = "80%"\nbelow = "10%"\n'
    assert issues(text) == [
        "alerts.0.below: an alert breaches above or below a threshold, not both (got '10%'); "
        "fix: keep one; to watch a range, write two alerts"
    ]


def test_neither_above_nor_below_suggests_a_threshold_for_the_metric() -> None:
    assert issues('[[alerts]]\nname = "errors"\nmetric = "error_rate"\nfor = "2m"\n') == [
        'alerts.0: a metric alert needs a threshold: above or below; fix: add above = "2%"'
    ]


def test_neither_metric_nor_log() -> None:
    assert issues('[[alerts]]\nname = "a"\nabove = 5\n') == [
        "alerts.0: an alert needs metric (a figure to watch) or log (a pattern to count); "
        'fix: add metric = "p95_ms" and above = 500, or log = "Traceback"'
    ]


def test_both_metric_and_log() -> None:
    assert issues('[[alerts]]\nname = "a"\nmetric = "cpu"\nabove = "80%"\nlog = "OOM"\n') == [
        "alerts.0.log: an alert watches a metric or a log pattern, not both (got 'OOM'); "
        "fix: split it into two [[alerts]], each with its own name"
    ]


def test_metric_keys_on_a_log_alert() -> None:
    text = '[[alerts]]\nname = "a"\nlog = "OOM"\nabove = 3\nfor = "1m"\ndatapoints = "1 of 2"\n'
    fix = (
        "fix: remove it: a log alert fires when `count` lines match within `within`, "
        'e.g. count = 5 and within = "1m"'
    )
    assert issues(text) == [
        f"alerts.0.above: only applies to metric alerts (got 3); {fix}",
        f"alerts.0.for: only applies to metric alerts (got '1m'); {fix}",
        f"alerts.0.datapoints: only applies to metric alerts (got '1 of 2'); {fix}",
    ]


def test_log_keys_on_a_metric_alert() -> None:
    text = '[[alerts]]\nname = "a"\nmetric = "cpu"\nabove = "80%"\ncount = 3\nwithin = "1m"\n'
    fix = (
        'fix: remove it: a metric alert holds for `for` (e.g. for = "5m") or in `datapoints` '
        '(e.g. datapoints = "3 of 5")'
    )
    assert issues(text) == [
        f"alerts.0.count: only applies to log alerts (got 3); {fix}",
        f"alerts.0.within: only applies to log alerts (got '1m'); {fix}",
    ]


def test_for_shorter_than_the_evaluation_interval() -> None:
    assert issues('[[alerts]]\nname = "a"\nmetric = "cpu"\nabove = "80%"\nfor = "5s"\n') == [
        "alerts.0.for: should be at least 10s: alerts are evaluated every 10s (got '5s'); "
        'fix: use for = "10s" or more, or remove it to fire on the first breaching datapoint'
    ]


@pytest.mark.parametrize("written", ['"0s"', "0", '"500ms"', '"-1m"'])
def test_any_for_under_the_interval_is_refused(written: str) -> None:
    [issue] = issues(f'[[alerts]]\nname = "a"\nmetric = "cpu"\nabove = "80%"\nfor = {written}\n')
    assert issue.startswith("alerts.0.for: should be at least 10s")


def test_for_takes_the_duration_grammar() -> None:
    assert issues('[[alerts]]\nname = "a"\nmetric = "cpu"\nabove = "80%"\nfor = "5 minutes"\n') == [
        "alerts.0.for: should be a duration like '500ms', '1s', '1.5s', '5m', '1h' or a number "
        "of seconds (got '5 minutes'); fix: use '5m'"
    ]


def test_for_and_datapoints_together() -> None:
    text = (
        '[[alerts]]\nname = "a"\nmetric = "cpu"\nabove = "80%"\nfor = "5m"\ndatapoints = "3 of 5"\n'
    )
    assert issues(text) == [
        "alerts.0.datapoints: cannot be combined with `for`: both say how long the condition "
        'must hold (got \'3 of 5\'); fix: keep for = "5m" or datapoints = "3 of 5"'
    ]


def test_within_shorter_than_the_evaluation_interval() -> None:
    assert issues('[[alerts]]\nname = "a"\nlog = "OOM"\nwithin = "5s"\n') == [
        "alerts.0.within: should be at least 10s: matching lines are counted every 10s "
        "(got '5s'); fix: use within = \"10s\" or more"
    ]


def test_repeat_and_count_bounds() -> None:
    assert issues('[[alerts]]\nname = "a"\nlog = "OOM"\ncount = 0\nrepeat = "10s"\n') == [
        "alerts.0.count: should be at least 1 (got 0); fix: use 1 or more",
        'alerts.0.repeat: should be at least "1m" (got \'10s\'); fix: use "1m" or more',
    ]


def test_an_invalid_regular_expression_names_the_error_and_the_escape() -> None:
    assert issues('[[alerts]]\nname = "a"\nlog = "Traceback["\n') == [
        "alerts.0.log: is not a valid regular expression: unterminated character set at "
        "position 9 (got 'Traceback['); fix: escape '[' to match it as text: log = 'Traceback\\['"
    ]


def test_an_unclosed_group_offers_to_close_it_or_escape_it() -> None:
    assert issues('[[alerts]]\nname = "a"\nlog = "(ERROR|FATAL"\n') == [
        "alerts.0.log: is not a valid regular expression: missing ), unterminated subpattern "
        "at position 0 (got '(ERROR|FATAL'); fix: close the group with ')', or escape '(' to "
        "match it as text: log = '\\(ERROR|FATAL'"
    ]


def test_a_regex_error_with_no_simple_escape_points_at_the_syntax() -> None:
    assert issues("[[alerts]]\nname = \"a\"\nlog = '(?P<x'\n") == [
        "alerts.0.log: is not a valid regular expression: missing >, unterminated name at "
        "position 4 (got '(?P<x'); fix: use Python's re syntax; in single quotes (a TOML "
        "literal string) backslashes stay as written: log = 'Error \\[\\d+\\]'"
    ]


def test_a_pattern_that_matches_every_line() -> None:
    assert issues('[[alerts]]\nname = "a"\nlog = "ERROR|"\n') == [
        "alerts.0.log: matches every line (it matches an empty one) (got 'ERROR|'); "
        'fix: make it require some text, e.g. "Traceback|CRITICAL"'
    ]


def test_an_empty_pattern() -> None:
    assert issues('[[alerts]]\nname = "a"\nlog = " "\n') == [
        "alerts.0.log: should not be empty (got ' '); fix: use a pattern like \"Traceback|CRITICAL\""
    ]


def test_an_unknown_service() -> None:
    assert issues('[[alerts]]\nname = "a"\nlog = "OOM"\nservice = "wroker"\n') == [
        "alerts.0.service: unknown service (got 'wroker'); fix: did you mean 'worker'? "
        "services are: web, worker"
    ]


def test_an_unknown_key_suggests_the_known_one() -> None:
    text = '[[alerts]]\nname = "a"\nmetric = "cpu"\nabove = "80%"\nfor_ = "1m"\nthreshold = 3\n'
    assert issues(text) == [
        "alerts.0.for_: unknown key (got 'for_'); fix: did you mean 'for'?",
        "alerts.0.threshold: unknown key (got 'threshold'); fix: remove it; allowed keys are: "
        "above, below, count, datapoints, enabled, for, keep_firing_for, log, metric, name, "
        "repeat, service, within",
    ]


def test_a_missing_name() -> None:
    assert issues('[[alerts]]\nmetric = "cpu"\nabove = "80%"\n') == [
        'alerts.0.name: is required; fix: add name = "slow"'
    ]


def test_a_single_table_instead_of_an_array_of_tables() -> None:
    assert issues('[alerts]\nname = "a"\n') == [
        "alerts: should be an array of tables (got {'name': 'a'}); "
        "fix: write each entry as its own [[alerts]] table (double brackets)"
    ]


def test_every_alert_is_reported_at_once_in_file_order() -> None:
    text = (
        '[[alerts]]\nname = "a"\nmetric = "p95"\nabove = 1\n'
        '[[alerts]]\nname = "b"\nlog = "x["\n'
        '[[alerts]]\nname = "c"\nmetric = "error_rate"\nabove = 2\n'
    )
    assert [issue.split(":")[0] for issue in issues(text)] == [
        "alerts.0.metric",
        "alerts.1.log",
        "alerts.2.above",
    ]


def test_nothing_loads_from_an_app_with_a_bad_alert(tmp_path: Path) -> None:
    (tmp_path / "launchdeck.toml").write_text(
        SERVICES + '[[alerts]]\nname = "slow"\nmetric = "p95_ms"\nabove = 500\nfor = "1s"\n'
    )
    with pytest.raises(ManifestError) as caught:
        load_manifest(tmp_path)
    assert caught.value.fix == (
        'use for = "10s" or more, or remove it to fire on the first breaching datapoint'
    )


def test_the_table_validates_on_its_own() -> None:
    table = AlertTable.model_validate({"name": "a", "metric": "cpu", "above": "80%", "for": "1m"})
    assert (table.for_, table.above and table.above.value) == (60.0, 0.8)
