"""How `db backups` / `db backup` show where a backup was copied to; `db backups` still lists
with its `target` subcommands beside it, which send the secret from stdin only."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from launchdeck.cli.client import Client, CliError, Endpoint
from launchdeck.cli.commands import db
from launchdeck.cli.commands.db import copy_text
from launchdeck.cli.main import app


def test_the_copy_column_shows_the_bucket_or_the_failure_in_red() -> None:
    copied = copy_text({"copied_to": "s3://shop-backups/15/b0/", "copy_error": ""})
    assert (copied.plain, str(copied.style)) == ("s3://shop-backups/15/b0/", "green")
    failed = copy_text({"copied_to": "", "copy_error": "bucket x does not exist"})
    assert (failed.plain, str(failed.style)) == ("FAILED: bucket x does not exist", "bold red")
    assert copy_text({"id": "old", "status": "verified"}).plain == "-"


# -- `db backups` (still a listing) and `db backups target set|show|unset` ----------------------

SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
SHOWN = {
    "configured": True, "bucket": "shop-backups", "prefix": "launchdeck/",
    "endpoint": "http://127.0.0.1:9000", "region": "eu-west-1",
    "url": "s3://shop-backups/launchdeck/", "access_key_id": "AKIDADMIN", "credentials_set": True,
}  # fmt: skip
NOTHING = {**SHOWN, "configured": False, "bucket": None, "prefix": None, "endpoint": None,
           "region": None, "url": None, "access_key_id": None, "credentials_set": False}  # fmt: skip


@dataclass
class FakeApi:
    """Answers like the control plane and remembers each request (method, path, JSON body)."""

    answers: dict[tuple[str, str], Any]
    seen: list[tuple[str, str, Any]] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content) if request.content else None
        self.seen.append((request.method, request.url.path, body))
        return httpx.Response(200, json=self.answers[(request.method, request.url.path)])


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> FakeApi:
    fake = FakeApi({})
    transport = httpx.MockTransport(fake)
    endpoint = Endpoint("http://127.0.0.1:7070", "t")
    monkeypatch.setattr(db, "client", lambda: Client(endpoint, transport=transport))
    monkeypatch.setenv("COLUMNS", "200")
    return fake


def run(*args: str, stdin: str | None = None) -> Any:
    return CliRunner().invoke(app, ["db", *args], input=stdin)


def test_db_backups_alone_still_lists_the_backups(api: FakeApi) -> None:
    listing = {"cluster": "15", "window": None, "backups": []}
    api.answers[("GET", "/v1/apps/shop/envs/staging/db/backups")] = listing

    shown = run("backups", "--app", "shop")
    as_json = run("backups", "--json", "--app", "shop")

    assert shown.exit_code == 0, shown.output
    assert "nothing to restore from yet; take a backup: launchdeck db backup" in shown.output
    assert json.loads(as_json.output) == listing
    assert [s[:2] for s in api.seen] == [("GET", "/v1/apps/shop/envs/staging/db/backups")] * 2


def test_target_set_reads_the_secret_from_stdin_never_from_argv(api: FakeApi) -> None:
    api.answers[("PUT", "/v1/settings/backup-target")] = SHOWN
    args = ["backups", "target", "set", "--bucket", "shop-backups", "--prefix", "launchdeck/",
            "--endpoint", "http://127.0.0.1:9000", "--region", "eu-west-1",
            "--access-key-id", "AKIDADMIN", "--secret-access-key-stdin"]  # fmt: skip

    result = run(*args, stdin=SECRET + "\n")

    assert result.exit_code == 0, result.output
    assert api.seen == [("PUT", "/v1/settings/backup-target", {
        "bucket": "shop-backups", "prefix": "launchdeck/", "endpoint": "http://127.0.0.1:9000",
        "region": "eu-west-1", "access_key_id": "AKIDADMIN", "secret_access_key": SECRET,
    })]  # fmt: skip
    assert SECRET not in result.output
    assert result.output.splitlines() == [
        "-----> every verified backup is copied to s3://shop-backups/launchdeck/<cluster>/",
        "bucket       shop-backups",
        "prefix       launchdeck/",
        "endpoint     http://127.0.0.1:9000",
        "region       eu-west-1",
        "credentials  access key AKIDADMIN (its secret is stored encrypted)",
    ]
    on_argv = run("backups", "target", "set", "--bucket", "b-1", "--access-key-id", "AKIDADMIN",
                  "--secret-access-key", SECRET)  # fmt: skip
    assert on_argv.exit_code == 2 and "No such option" in on_argv.output  # no argv form at all


def test_target_set_without_keys_uses_the_daemon_s_own(api: FakeApi) -> None:
    api.answers[("PUT", "/v1/settings/backup-target")] = {**NOTHING, "configured": True,
        "bucket": "b-1", "prefix": "", "url": "s3://b-1/"}  # fmt: skip

    result = run("backups", "target", "set", "--bucket", "b-1")

    assert result.exit_code == 0, result.output
    assert api.seen == [("PUT", "/v1/settings/backup-target",
                         {"bucket": "b-1", "prefix": "", "endpoint": None, "region": None})]  # fmt: skip
    assert "credentials  the control plane's own AWS credentials" in result.output


@pytest.mark.parametrize(
    ("args", "stdin", "message", "fix"),
    [
        (["--access-key-id", "AKID"], None, "--access-key-id and --secret-access-key-stdin go together", "e.g. launchdeck db backups target set --bucket b-1 --access-key-id ID --secret-access-key-stdin < secret.txt; or neither, to use the control plane's own AWS credentials"),
        (["--secret-access-key-stdin"], SECRET, "--access-key-id and --secret-access-key-stdin go together", "e.g. launchdeck db backups target set --bucket b-1 --access-key-id ID --secret-access-key-stdin < secret.txt; or neither, to use the control plane's own AWS credentials"),
        (["--access-key-id", "AKID", "--secret-access-key-stdin"], "", "no secret access key on stdin", "pipe it: launchdeck db backups target set ... --secret-access-key-stdin < secret.txt"),
    ],
    ids=["key-without-secret", "secret-without-key", "empty-stdin"],
)  # fmt: skip
def test_target_set_refuses_half_a_key_before_calling_the_api(
    api: FakeApi, args: list[str], stdin: str | None, message: str, fix: str
) -> None:
    result = run("backups", "target", "set", "--bucket", "b-1", *args, stdin=stdin)

    assert isinstance(result.exception, CliError)
    assert (result.exception.message, result.exception.fix) == (message, fix)
    assert api.seen == []


def test_target_show_and_unset(api: FakeApi) -> None:
    api.answers[("GET", "/v1/settings/backup-target")] = NOTHING
    api.answers[("DELETE", "/v1/settings/backup-target")] = {**NOTHING, "removed": True}

    shown = run("backups", "target", "show")
    as_json = run("backups", "target", "show", "--json")
    unset = run("backups", "target", "unset")

    assert shown.output.splitlines() == [
        "no backup target: backups stay on this host only",
        "set one (admin): launchdeck db backups target set --bucket NAME",
    ]
    assert json.loads(as_json.output) == NOTHING
    assert unset.output == "-----> backup target removed: backups stay on this host only\n"
    assert [s[:2] for s in api.seen] == [("GET", "/v1/settings/backup-target")] * 2 + [
        ("DELETE", "/v1/settings/backup-target")
    ]
