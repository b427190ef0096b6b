"""`[errors]`: the triage rules a manifest may set, and the errors for the ones it gets wrong."""

import pytest

from launchdeck.domain.errortracking import TriageRules
from launchdeck.manifest import ManifestError, parse_manifest

WEB = '[services.web]\ncommand = "serve"\n'


def test_defaults_and_settings() -> None:
    assert parse_manifest(WEB, source="t").triage == TriageRules()
    rules = parse_manifest(
        WEB + '[errors]\ncritical_paths = ["/checkout*"]\np0_request_share = "5%"\n'
        "p1_events_per_hour = 20\n",
        source="t",
    ).triage
    assert rules == TriageRules(("/checkout*",), 0.05, 20)


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        ('critical_paths = ["checkout"]', "errors.critical_paths.0: should be a path pattern "
         "starting with '/' (got 'checkout'); fix: use '/checkout'"),
        ('p0_request_share = "150%"', "errors.p0_request_share: should be a percentage"),
        ("p1_events_per_hour = 0", "errors.p1_events_per_hour: "),
        ("p2 = 1", "errors.p2: "),
    ],
)  # fmt: skip
def test_mistakes_name_the_field_and_a_fix(table: str, expected: str) -> None:
    with pytest.raises(ManifestError) as caught:
        parse_manifest(f"{WEB}[errors]\n{table}\n", source="t")
    [issue] = caught.value.issues
    assert str(issue).startswith(expected), str(issue)
