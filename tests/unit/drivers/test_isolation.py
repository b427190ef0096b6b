"""The isolation package: account names, the argv of a jail, the environment builds may see,
and (as root) what lend and seal do to a build's files."""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from launchdeck.drivers.local.isolation import (
    Account,
    AccountJail,
    Accounts,
    AccountUnavailable,
    Isolation,
    IsolationError,
    Namespaces,
    account_name,
)
from launchdeck.system import Command, Result, Runner

as_root = pytest.mark.skipif(os.geteuid() != 0, reason="accounts and chown need root")


class RecordingRunner(Runner):
    """Records argv and answers with `returncode`, running nothing."""

    def __init__(self, returncode: int = 0, output: str = "") -> None:
        self.argvs: list[tuple[str, ...]] = []
        self.returncode, self.output = returncode, output

    def run(self, command: Command, *, check: bool = True) -> Result:
        self.argvs.append(command.argv)
        return Result(command, self.returncode, "", self.output)


@pytest.fixture
def passable() -> Iterator[Path]:
    """A directory other accounts may pass through (pytest's tmp_path is under a 0700 dir)."""
    top = Path(tempfile.mkdtemp(dir="/tmp"))
    top.chmod(0o711)
    yield top
    Runner().run(Command(("rm", "-rf", str(top))), check=False)


# -- names ------------------------------------------------------------------------------------


def test_accounts_are_named_for_the_app_and_the_environment() -> None:
    assert account_name("shop") == "ld-shop"
    assert account_name("shop", "staging") == "ld-shop.staging"


def test_hyphens_cannot_make_two_pairs_share_an_account() -> None:
    assert account_name("a-b", "c") != account_name("a", "b-c")


def test_long_names_keep_a_readable_head_and_a_hash_within_32() -> None:
    name = account_name("a-very-long-application-name", "production")

    assert len(name) == 32
    assert name.startswith("ld-a-very-long-applicat-")
    assert name != account_name("a-very-long-application-name", "production2")


# -- accounts -----------------------------------------------------------------------------------


def missing(_name: str) -> pwd.struct_passwd:
    raise KeyError(_name)


def test_a_missing_account_is_made_with_useradd_into_the_apps_group(tmp_path: Path) -> None:
    runner = RecordingRunner(returncode=1, output="useradd: cannot lock /etc/passwd")
    group = grp.struct_group(("ld-shop", "x", 4242, []))
    accounts = Accounts(tmp_path, runner=runner, users=missing, groups=lambda _: group)

    with pytest.raises(AccountUnavailable) as refused:
        accounts.runtime("shop", "staging")

    assert runner.argvs == [
        ("useradd", "--system", "--gid", "ld-shop", "--home-dir",
         str(tmp_path / "shop" / "envs" / "staging"), "--no-create-home",
         "--shell", "/usr/sbin/nologin", "ld-shop.staging"),
    ]  # fmt: skip
    assert str(refused.value) == (
        "refusing to run app code as root: the account ld-shop.staging could not be made "
        "(`useradd --system --gid ld-shop --home-dir "
        f"{tmp_path}/shop/envs/staging --no-create-home --shell /usr/sbin/nologin "
        "ld-shop.staging` failed: useradd: cannot lock /etc/passwd); fix: install the passwd "
        "package (useradd, groupadd), or run the control plane as an unprivileged user"
    )


def test_an_account_with_uid_0_is_refused(tmp_path: Path) -> None:
    root = pwd.struct_passwd(("ld-shop", "x", 0, 0, "", "/", "/bin/sh"))
    group = grp.struct_group(("ld-shop", "x", 0, []))
    accounts = Accounts(
        tmp_path, runner=RecordingRunner(), users=lambda _: root, groups=lambda _: group
    )

    with pytest.raises(AccountUnavailable, match=r"ld-shop could not be made \(it has uid 0"):
        accounts.builder("shop")


@as_root
def test_accounts_are_made_once_with_a_private_home_each(passable: Path) -> None:
    accounts = Accounts(passable / "homes")

    builder = accounts.builder("isotest")
    staging = accounts.runtime("isotest", "staging")

    assert (builder.name, staging.name) == ("ld-isotest", "ld-isotest.staging")
    assert builder.gid == staging.gid == grp.getgrnam("ld-isotest").gr_gid
    assert builder.uid != staging.uid and 0 not in (builder.uid, staging.uid)
    info = staging.home.stat()
    assert (info.st_uid, stat.S_IMODE(info.st_mode)) == (staging.uid, 0o700)
    assert stat.S_IMODE((passable / "homes" / "isotest").stat().st_mode) == 0o711
    assert accounts.runtime("isotest", "staging") == staging


# -- jails --------------------------------------------------------------------------------------

ACCOUNT = Account("ld-shop.staging", 1001, 1000, Path("/srv/apps/homes/shop/envs/staging"))


def test_as_root_a_jail_becomes_the_account_for_good() -> None:
    jail = AccountJail(ACCOUNT, owner="ld-shop", switch=True, namespaces=None)

    confined = jail.confine(Command(("/bin/sh", "-c", "serve"), env={"PORT": "5000"}))

    assert confined.argv == (
        "setpriv", "--reuid=1001", "--regid=1000", "--clear-groups", "--inh-caps=-all",
        "--bounding-set=-all", "--no-new-privs", "--", "/bin/sh", "-c", "serve",
    )  # fmt: skip
    assert confined.env == {
        "PORT": "5000",
        "HOME": "/srv/apps/homes/shop/envs/staging",
        "USER": "ld-shop.staging",
        "LOGNAME": "ld-shop.staging",
    }


def test_namespaces_hide_the_home_show_the_store_and_bind_what_may_be_written() -> None:
    namespaces = Namespaces(
        "/usr/bin/bwrap", hidden=(Path("/root/.launchdeck"),), shown=(Path("/srv/apps/builds"),)
    )
    jail = AccountJail(ACCOUNT, owner="ld-shop", switch=False, namespaces=namespaces)

    confined = jail.confine(
        Command(("make",), cwd=Path("/srv/apps/builds/tmp/b1")), writable=(Path("/srv/x"),)
    )

    assert confined.argv == (
        "/usr/bin/bwrap", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc",
        "--perms", "01777", "--tmpfs", "/tmp", "--perms", "01777", "--tmpfs", "/var/tmp",
        "--perms", "01777", "--tmpfs", "/dev/shm",
        "--tmpfs", "/root/.launchdeck", "--unshare-pid", "--unshare-ipc",
        "--ro-bind-try", "/srv/apps/builds", "/srv/apps/builds",
        "--bind", "/srv/apps/homes/shop/envs/staging", "/srv/apps/homes/shop/envs/staging",
        "--bind", "/srv/x", "/srv/x",
        "--chdir", "/srv/apps/builds/tmp/b1", "--", "make",
    )  # fmt: skip


def test_binds_under_a_private_tmp_get_passable_parents() -> None:
    namespaces = Namespaces("bwrap", shown=(Path("/tmp/ld-1/apps/builds"),))

    argv = namespaces.argv(cwd=None, writable=(Path("/tmp/ld-1/apps/homes/a"),))

    assert argv[argv.index("--unshare-ipc") + 1 :] == (
        "--perms", "0711", "--dir", "/tmp/ld-1",
        "--perms", "0711", "--dir", "/tmp/ld-1/apps",
        "--ro-bind-try", "/tmp/ld-1/apps/builds", "/tmp/ld-1/apps/builds",
        "--perms", "0711", "--dir", "/tmp/ld-1/apps/homes",
        "--bind", "/tmp/ld-1/apps/homes/a", "/tmp/ld-1/apps/homes/a",
        "--",
    )  # fmt: skip


@as_root
def test_lend_gives_the_tree_to_the_account_and_seal_takes_it_back(passable: Path) -> None:
    build = passable / "build"
    (build / "bin").mkdir(parents=True)
    (build / "bin" / "run").write_text("#!/bin/sh\n")
    (build / "bin" / "run").chmod(0o700)
    (build / "app.py").write_text("print()\n")
    (build / "link").symlink_to("app.py")
    jail = AccountJail(ACCOUNT, owner="ld-shop", switch=True, namespaces=None)

    jail.lend(build)
    assert {p.lstat().st_uid for p in (build, build / "bin" / "run", build / "link")} == {1001}

    jail.seal(build)
    modes = {
        p.name: (p.stat().st_uid, p.stat().st_gid, stat.S_IMODE(p.stat().st_mode))
        for p in (build, build / "bin", build / "bin" / "run", build / "app.py")
    }
    assert modes == {
        "build": (0, 1000, 0o750),
        "bin": (0, 1000, 0o750),
        "run": (0, 1000, 0o750),
        "app.py": (0, 1000, 0o640),
    }
    assert (build / "link").lstat().st_uid == 0


# -- what the host offers ---------------------------------------------------------------------


def isolation(tmp_path: Path, *, euid: int, bwrap_works: bool) -> Isolation:
    runner = RecordingRunner(returncode=0 if bwrap_works else 1)
    return Isolation(
        tmp_path / "apps", home=tmp_path / "home", runner=runner, euid=euid, bwrap="/usr/bin/bwrap"
    )


def test_builds_see_the_allowlist_never_the_daemons_secrets(tmp_path: Path) -> None:
    daemon = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": "/root",
        "LANG": "en_US.UTF-8",
        "PIP_INDEX_URL": "https://pypi.internal/simple",
        "HTTPS_PROXY": "http://proxy:3128",
        "AWS_SECRET_ACCESS_KEY": "secret",
        "LAUNCHDECK_TOKEN": "ldt_x",
        "LAUNCHDECK_SECRET_KEY": "key",
    }

    seen = isolation(tmp_path, euid=1000, bwrap_works=False).environ(daemon)

    assert seen == {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "LANG": "en_US.UTF-8",
        "PIP_INDEX_URL": "https://pypi.internal/simple",
        "HTTPS_PROXY": "http://proxy:3128",
    }


def test_as_root_path_entries_app_accounts_cannot_reach_are_dropped(passable: Path) -> None:
    private = passable / "private"
    private.mkdir(mode=0o700)
    private.chmod(0o700)
    path = f"{private}/bin:/usr/bin:/bin"

    seen = isolation(passable, euid=0, bwrap_works=False).environ({"PATH": path})

    assert seen["PATH"] == "/usr/bin:/bin"


def test_status_says_what_the_host_gives(tmp_path: Path) -> None:
    root_ns = isolation(tmp_path, euid=0, bwrap_works=True).support
    user_bare = isolation(tmp_path, euid=1000, bwrap_works=False).support

    assert (root_ns.accounts, root_ns.namespaces) == (True, True)
    assert root_ns.detail == (
        "app code runs as its own account per app environment (ld-<app>.<env>; builds as "
        "ld-<app>); bubblewrap: a read-only system, a private /tmp, its own process namespace"
    )
    assert (user_bare.accounts, user_bare.namespaces) == (False, False)
    assert user_bare.detail.endswith(
        "nothing hides the control plane's home: run it as root or install bubblewrap"
    )


def test_without_root_jails_run_as_ourselves_inside_namespaces(tmp_path: Path) -> None:
    jail = isolation(tmp_path, euid=1000, bwrap_works=True).runtime("shop", "staging")

    confined = jail.confine(Command(("serve",)))

    assert confined.argv[0] == "/usr/bin/bwrap" and "setpriv" not in confined.argv
    assert ("--tmpfs", str(tmp_path / "home")) in zip(
        confined.argv, confined.argv[1:], strict=False
    )
    assert confined.env is not None
    assert confined.env["HOME"] == str(tmp_path / "apps" / "homes" / "shop" / "envs" / "staging")


@as_root
def test_an_apps_dir_app_accounts_cannot_reach_is_refused_at_start(tmp_path: Path) -> None:
    apps = tmp_path / "apps"  # pytest's tmp dirs sit under a 0700 directory

    with pytest.raises(IsolationError) as refused:
        Isolation(apps, home=tmp_path / "home", runner=RecordingRunner(1), euid=0).prepare()

    assert refused.value.message == (
        f"app accounts cannot reach {apps}: a directory above it keeps them out"
    )


@as_root
def test_the_directories_above_a_new_apps_dir_are_made_passable(tmp_path: Path) -> None:
    """On a fresh host the default apps dir (/var/lib/launchdeck/apps-...) does not exist yet:
    the daemon's umask (077) must not close the parents it creates for it."""
    base = Path(tempfile.mkdtemp(prefix="ld-apps-", dir="/tmp"))
    base.chmod(0o711)
    apps = base / "var" / "lib" / "launchdeck" / "apps-1a2b"
    old = os.umask(0o077)
    try:
        Isolation(apps, home=tmp_path / "home", runner=RecordingRunner(1), euid=0).prepare()
        modes = {
            p: stat.S_IMODE(p.stat().st_mode) for p in (apps, *apps.parents) if base in p.parents
        }
        assert set(modes.values()) == {0o711}, modes
    finally:
        os.umask(old)
        shutil.rmtree(base)
