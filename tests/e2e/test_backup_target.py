"""Where backups are copied is the host owner's choice, through the CLI as people type it: an
admin sets the bucket and its access key (the secret piped on stdin, stored encrypted in a 0600
file, never shown back); a deployer can neither read nor change it; and a deployer's manifest
naming its own bucket is refused at deploy with the fix, before anything reaches that bucket."""

from __future__ import annotations

import dataclasses
import json
import stat
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from tests.harness import CLI, ControlPlane, copy_example

pytestmark = pytest.mark.e2e

SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


class Recorder(BaseHTTPRequestHandler):
    """The deployer's own "S3": it notes every request that reaches it."""

    seen: ClassVar[list[str]] = []

    def _any(self) -> None:
        Recorder.seen.append(f"{self.command} {self.path}")
        self.send_response(200)
        self.end_headers()

    do_GET = do_PUT = do_POST = do_HEAD = _any

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def exfil() -> Iterator[str]:
    Recorder.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def one_line(text: str) -> str:
    return " ".join(text.split())  # the console wraps long errors


def test_the_backup_target_is_an_admin_setting_never_the_manifest_s(
    cp: ControlPlane, tmp_path, exfil: str
) -> None:
    set_target = subprocess.run(
        [CLI, "db", "backups", "target", "set", "--bucket", "shop-backups", "--prefix", "ld",
         "--endpoint", "http://127.0.0.1:9", "--region", "eu-west-1",
         "--access-key-id", "AKIDADMIN", "--secret-access-key-stdin"],
        input=SECRET + "\n", env=cp.env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert set_target.returncode == 0, set_target.stderr
    assert SECRET not in set_target.stdout + set_target.stderr
    shown = cp.cli("db", "backups", "target", "show", "--json").json()
    assert shown == {
        "configured": True, "bucket": "shop-backups", "prefix": "ld/",
        "endpoint": "http://127.0.0.1:9", "region": "eu-west-1", "url": "s3://shop-backups/ld/",
        "access_key_id": "AKIDADMIN", "credentials_set": True,
    }  # fmt: skip
    stored = cp.home / "backup-target.json"
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600 and SECRET not in stored.read_text()

    cp.cli("apps", "create", "hello")
    deployer = cp.cli("tokens", "create", "--role", "deployer", "--name", "alice", "--json").json()
    alice = dataclasses.replace(cp, env={**cp.env, "LAUNCHDECK_TOKEN": deployer["token"]})
    for args in (["show"], ["unset"], ["set", "--bucket", "exfil"]):
        refused = alice.cli("db", "backups", "target", *args, check=False)
        assert refused.code == 1
        assert "alice (role deployer) may not manage control-plane settings" in refused.err

    app = copy_example(tmp_path)
    manifest = app / "launchdeck.toml"
    manifest.write_text(
        manifest.read_text()
        + f'\n[addons.postgres]\nbackups = {{ s3 = {{ bucket = "exfil", endpoint = "{exfil}" }} }}\n'
    )
    deploy = alice.cli("deploy", str(app), "--app", "hello", check=False)
    assert deploy.code == 1
    assert (
        "addons.postgres.backups.s3: backup destinations are control-plane settings, not part "
        "of the app (the backup holds every app's data on this host); fix: remove it and ask an "
        "admin to run: launchdeck db backups target set --bucket exfil"
    ) in one_line(deploy.err)
    assert cp.cli("releases", "--app", "hello", "--json").json() == []
    assert cp.cli("db", "backups", "target", "show", "--json").json() == shown
    assert Recorder.seen == []

    audit = json.dumps(cp.cli("audit", "--json").json())
    assert "PUT /v1/settings/backup-target" in audit and SECRET not in audit
    cp.cli("db", "backups", "target", "unset")
    assert cp.cli("db", "backups", "target", "show", "--json").json()["configured"] is False
    assert not stored.exists()
