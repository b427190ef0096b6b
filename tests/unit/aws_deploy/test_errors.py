"""The one AWS error tree: every class hangs from AwsError, a LaunchdeckError, and carries what
to do in `fix`, never inside `message`."""

from __future__ import annotations

import inspect

import pytest

from launchdeck.drivers.aws import errors
from launchdeck.drivers.aws.errors import (
    AwsError,
    AwsIssue,
    AwsSynthError,
    ImageNotPushed,
    StackBusy,
    StackMissing,
)
from launchdeck.manifest import ManifestError
from launchdeck.system import LaunchdeckError

TREE = [
    value
    for value in vars(errors).values()
    if inspect.isclass(value)
    and issubclass(value, BaseException)
    and value.__module__ == errors.__name__
]


def test_every_aws_error_is_a_launchdeck_error_below_aws_error() -> None:
    assert len(TREE) == 27
    assert all(issubclass(error, AwsError) for error in TREE)
    assert issubclass(AwsError, LaunchdeckError)


def test_the_module_docstring_draws_the_whole_tree() -> None:
    assert errors.__doc__ is not None
    drawn = {
        line.split("── ")[1].split()[0] for line in errors.__doc__.splitlines() if "── " in line
    }
    assert drawn == {error.__name__ for error in TREE}


def test_the_fix_is_a_field_and_str_joins_the_two() -> None:
    busy = StackBusy("launchdeck-shop-staging", "UPDATE_IN_PROGRESS")

    assert "fix" not in busy.message
    assert busy.fix.startswith("wait for it to finish")
    assert str(busy) == f"{busy.message}; fix: {busy.fix}"


def test_without_a_fix_the_message_is_the_whole_text() -> None:
    missing = StackMissing("launchdeck-shop-staging", why="nothing to roll back")

    assert missing.fix == ""
    assert str(missing) == "stack launchdeck-shop-staging does not exist: nothing to roll back"


def test_one_missing_image_has_its_fix_in_the_field() -> None:
    one = ImageNotPushed("sha256:" + "a" * 64, ["launchdeck/shop/web"])

    assert one.fix.startswith("push it to each one")
    assert "fix:" not in one.message


@pytest.mark.parametrize("count", [1, 2])
def test_a_synth_error_reads_like_a_manifest_error(count: int) -> None:
    issues = [
        AwsIssue("aws.azs", 3, "us-west-1 has 2 Availability Zones", "use azs = 2"),
        AwsIssue("services.web2", "web2", "gets the same names as 'web-2'", "rename one"),
    ][:count]

    synth = AwsSynthError(issues)
    manifest = ManifestError(issues)

    assert isinstance(synth, ManifestError)
    assert (synth.message, synth.fix, str(synth)) == (
        manifest.message,
        manifest.fix,
        str(manifest),
    )
