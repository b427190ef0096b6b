from __future__ import annotations

import os
import pwd
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from launchdeck.drivers.local.addon_errors import DataDirUnreachable, ServiceUserMissing
from launchdeck.drivers.local.service_user import ServiceUser, service_user


def test_as_root_commands_run_as_the_account() -> None:
    account = ServiceUser("postgres", 101, 104, switch=True)
    assert account.wrap(("initdb", "-D", "/d")) == (
        "setpriv", "--reuid=101", "--regid=104", "--init-groups", "--", "initdb", "-D", "/d",
    )  # fmt: skip
    assert ServiceUser("me", 1000, 1000).wrap(("initdb",)) == ("initdb",)


def test_a_missing_account_names_the_package() -> None:
    def lookup(name: str) -> pwd.struct_passwd:
        raise KeyError(name)

    with pytest.raises(ServiceUserMissing) as info:
        service_user("postgres", package="postgresql-15", euid=0, lookup=lookup)
    assert str(info.value) == (
        "running as root, the server must run as the 'postgres' system user, which does not "
        "exist; fix: apt-get install postgresql-15 (it creates the user), or run launchdeck as "
        "a non-root user"
    )
    assert service_user("postgres", package="p", euid=os.geteuid() or 1000).switch is False


@pytest.fixture
def searchable_tmp() -> Iterator[Path]:
    base = Path(tempfile.mkdtemp())  # not pytest's tmp_path: its parents are mode 0700
    base.chmod(0o711)
    yield base
    shutil.rmtree(base)


def test_a_directory_the_account_cannot_search_is_named(searchable_tmp: Path) -> None:
    closed = searchable_tmp / "home"
    closed.mkdir(mode=0o700)
    stranger = ServiceUser("postgres", uid=os.getuid() + 4242, gid=os.getgid() + 4242, switch=True)
    with pytest.raises(DataDirUnreachable) as info:
        stranger.check_reachable(closed / "addons" / "postgres")
    assert str(info.value) == (
        f"the 'postgres' system user cannot reach {closed}/addons/postgres: {closed} is mode 0700; "
        f"fix: chmod o+x {closed} (search only, no listing), or set LAUNCHDECK_HOME to a "
        "directory 'postgres' can reach"
    )
    closed.chmod(0o711)
    stranger.check_reachable(closed / "addons" / "postgres")
