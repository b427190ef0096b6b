"""`[queues.<name>]`: message queues, with SQS's meaning on AWS and none yet on one host."""

import pytest

from launchdeck.domain.queues import QueueSpec
from launchdeck.manifest import ManifestError, parse_manifest

WEB = '[services.web]\ncommand = "serve"\n'


def issues(text: str) -> list[str]:
    with pytest.raises(ManifestError) as caught:
        parse_manifest(WEB + text, source="t")
    return [str(issue) for issue in caught.value.issues]


def test_a_queue_with_its_defaults_and_one_with_its_own_values() -> None:
    manifest = parse_manifest(
        WEB + "[queues.emails]\n"
        '[queues.video-encode]\nvisibility_timeout = "15m"\nmax_receives = 3\nretention = "168h"\n',
        source="t",
    )
    assert manifest.queues == {
        "emails": QueueSpec("emails", visibility_timeout=30.0, max_receives=5, retention=345600.0),
        "video-encode": QueueSpec("video-encode", 900.0, 3, 604800.0),
    }


def test_no_queues_by_default() -> None:
    assert parse_manifest(WEB, source="t").queues == {}


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        ("max_receives = 0", "queues.q.max_receives: should be at least 1 (got 0); fix: use 1 or more"),
        ('retention = "0s"', "queues.q.retention: should be greater than 0 (got '0s'); fix: use a "
         'value greater than 0, e.g. retention = "168h"'),
        ('visibility_timeout = "soon"', "queues.q.visibility_timeout: should be a duration like "
         "'500ms', '1s', '1.5s', '5m', '1h' or a number of seconds (got 'soon'); fix: write a "
         "number and a unit (ms, s, m or h), e.g. '30s'"),
        ("max_reads = 3", "queues.q.max_reads: unknown key (got 'max_reads'); fix: did you mean "
         "'max_receives'?"),
    ],
)  # fmt: skip
def test_a_bad_queue_key_is_named(table: str, expected: str) -> None:
    assert issues(f"[queues.q]\n{table}\n") == [expected]


def test_a_queue_name_is_a_name() -> None:
    found = issues("[queues.Emails]\n")
    assert found[0].startswith("queues.Emails: "), found
