from __future__ import annotations

import pytest

from launchdeck.build import BuildError
from launchdeck.cli.client import CliError
from launchdeck.controlplane.databases.target import TargetUnreadable
from launchdeck.controlplane.errors import (
    AddonFailed,
    ApiError,
    Conflict,
    Invalid,
    NotFound,
    addon_errors,
)
from launchdeck.drivers.local.addon_errors import (
    AddonNotInstalled,
    AddonStartFailed,
    InvalidAddonInput,
    NoBackups,
)
from launchdeck.drivers.local.isolation import IsolationError
from launchdeck.drivers.local.router.errors import RouterError
from launchdeck.manifest import ManifestError
from launchdeck.manifest.values.units import BadValue
from launchdeck.system import CommandFailed, LaunchdeckError
from launchdeck.system.addon_errors import AddonError, UnknownBackup


@pytest.mark.parametrize(
    "root",
    [
        ApiError, AddonError, IsolationError, RouterError, BuildError, ManifestError, BadValue,
        CliError, TargetUnreadable, CommandFailed,
    ],
)  # fmt: skip
def test_every_error_tree_of_the_local_side_hangs_from_the_one_root(root: type) -> None:
    assert issubclass(root, LaunchdeckError)


def test_an_api_error_keeps_its_status_and_its_fix_as_a_field() -> None:
    error = Conflict("env is busy", "wait for the deployment")

    assert (error.status, error.message, error.fix) == (
        409,
        "env is busy",
        "wait for the deployment",
    )
    assert str(error) == "env is busy; fix: wait for the deployment"


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (UnknownBackup("b9", ["b1"]), NotFound),
        (InvalidAddonInput("bad name", "use another"), Invalid),
        (AddonNotInstalled("no redis-server", "redis-server"), Invalid),
        (NoBackups("nothing yet", "take one"), Conflict),
        (AddonStartFailed("did not start"), AddonFailed),
    ],
)
def test_addon_errors_become_api_errors_field_by_field(
    error: AddonError, kind: type[ApiError]
) -> None:
    with pytest.raises(kind) as caught, addon_errors():
        raise error

    assert type(caught.value) is kind
    assert (caught.value.message, caught.value.fix) == (error.message, error.fix)


def test_a_message_is_never_split_at_text_that_looks_like_a_fix() -> None:
    """The fix is a field: a message quoting another tool's "; fix: ..." stays whole."""
    with pytest.raises(AddonFailed) as caught, addon_errors():
        raise AddonStartFailed("redis said: bad config; fix: your file")

    assert (caught.value.message, caught.value.fix) == (
        "redis said: bad config; fix: your file",
        "",
    )


def test_an_api_error_raised_inside_addon_errors_keeps_its_own_status() -> None:
    with pytest.raises(Conflict) as caught, addon_errors():
        raise Conflict("a restore is already running", "wait for it")

    assert (caught.value.message, caught.value.fix) == (
        "a restore is already running",
        "wait for it",
    )


def test_another_launchdeck_error_inside_addon_errors_answers_500_with_its_fix() -> None:
    """The control plane knows add-on errors by the root and their FailureKind, not their
    driver classes: an error without a kind is a plain failure, its fix kept."""
    with pytest.raises(AddonFailed) as caught, addon_errors():
        raise IsolationError("no account for shop", "run make setup")

    assert (caught.value.message, caught.value.fix) == ("no account for shop", "run make setup")
