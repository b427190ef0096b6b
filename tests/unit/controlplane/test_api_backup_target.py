"""`/v1/settings/backup-target`: admins only (a viewer or deployer gets 403 on every route), the
secret never comes back nor lies in the file in clear, bad fields are 422 with the fix; and an
app whose manifest names a backup bucket is refused at deploy, before anything reaches it."""

from __future__ import annotations

import json
import stat
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest
from cryptography.fernet import Fernet
from fastapi.testclient import TestClient

from launchdeck.controlplane.access.secrets import Keyring
from launchdeck.controlplane.databases.target import BackupTargetFile
from launchdeck.controlplane.http import create_api
from tests.unit.controlplane.test_api import AUTH, TOKEN, FakeControlPlane, leftovers, tarball
from tests.unit.controlplane.test_api_roles import token

PATH = "/v1/settings/backup-target"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
FULL = {
    "bucket": "shop-backups",
    "prefix": "launchdeck/",
    "endpoint": "http://127.0.0.1:9000",
    "region": "eu-west-1",
    "access_key_id": "AKIDADMIN",
    "secret_access_key": SECRET,
}
SHOWN = {
    "configured": True,
    "bucket": "shop-backups",
    "prefix": "launchdeck/",
    "endpoint": "http://127.0.0.1:9000",
    "region": "eu-west-1",
    "url": "s3://shop-backups/launchdeck/",
    "access_key_id": "AKIDADMIN",
    "credentials_set": True,
}
NOTHING = {
    "configured": False, "bucket": None, "prefix": None, "endpoint": None, "region": None,
    "url": None, "access_key_id": None, "credentials_set": False,
}  # fmt: skip


@pytest.fixture
def cp(tmp_path: Path) -> Iterator[FakeControlPlane]:
    plane = FakeControlPlane(tmp_path / "home")
    yield plane
    plane.store.close()


@pytest.fixture
def api(cp: FakeControlPlane) -> TestClient:
    return TestClient(create_api(cp, TOKEN))  # type: ignore[arg-type]


@pytest.mark.parametrize(("role", "name"), [("viewer", "dash"), ("deployer", "alice")])
def test_only_an_admin_may_read_set_or_unset_the_target(
    api: TestClient, cp: FakeControlPlane, role: str, name: str
) -> None:
    holder = token(api, role, name)
    assert api.put(PATH, json=FULL, headers=AUTH).status_code == 200

    answers = [
        api.get(PATH, headers=holder),
        api.put(PATH, json={"bucket": "exfil"}, headers=holder),
        api.delete(PATH, headers=holder),
    ]

    for answer in answers:
        assert answer.status_code == 403
        assert answer.json() == {
            "error": f"{name} (role {role}) may not manage control-plane settings",
            "fix": "ask an admin, or use a token with a role that may (launchdeck tokens "
            "create --role ...)",
        }
        assert SECRET not in answer.text
    assert api.get(PATH, headers=AUTH).json() == SHOWN  # unchanged
    audit = api.get("/v1/audit", headers=AUTH).json()
    assert [(e["who"], e["action"], e["status"]) for e in audit[:2]] == [
        (name, f"DELETE {PATH}", 403),
        (name, f"PUT {PATH}", 403),
    ]


def test_an_admin_sets_shows_and_unsets_it_and_the_secret_never_comes_back(
    api: TestClient, cp: FakeControlPlane
) -> None:
    admin = token(api, "admin", "ops")
    assert api.get(PATH, headers=admin).json() == NOTHING

    put = api.put(PATH, json=FULL, headers=admin)
    got = api.get(PATH, headers=admin)

    assert put.status_code == 200 and put.json() == SHOWN
    assert got.status_code == 200 and got.json() == SHOWN
    assert SECRET not in put.text and SECRET not in got.text
    stored = cp.home / "backup-target.json"
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    assert SECRET not in stored.read_text()
    sealed = json.loads(stored.read_text())["secret_access_key_encrypted"]
    assert Keyring(cp.home).decrypt(sealed) == SECRET
    target = BackupTargetFile(cp.home).get()  # what the backup service reads
    assert target is not None and target.credentials is not None
    assert target.credentials.secret_access_key == SECRET

    # a new PUT replaces the whole target: without a key, the daemon's own credentials sign
    assert api.put(PATH, json={"bucket": "other-bucket"}, headers=admin).json() == {
        **NOTHING, "configured": True, "bucket": "other-bucket", "prefix": "",
        "url": "s3://other-bucket/",
    }  # fmt: skip
    assert 'encrypted": null' in stored.read_text()

    gone = api.delete(PATH, headers=admin)
    assert gone.status_code == 200 and gone.json() == {**NOTHING, "removed": True}
    assert not stored.exists() and api.get(PATH, headers=admin).json() == NOTHING
    assert api.delete(PATH, headers=admin).json()["removed"] is False


@pytest.mark.parametrize(
    ("body", "error", "fix"),
    [
        ({"prefix": "x/"}, "bucket: is required", "e.g. launchdeck db backups target set --bucket shop-backups"),
        ({"bucket": "Shop_Backups"}, "bucket: should be an S3 bucket name: 3-63 lowercase letters, digits, '-' and '.', starting and ending with a letter or digit (got 'Shop_Backups')", "use 'shop-backups'"),
        ({"bucket": "b-1", "endpoint": "minio:9000"}, "endpoint: should be the http(s) URL of an S3-compatible endpoint, without a path (got 'minio:9000')", "use e.g. 'https://s3.eu-west-1.amazonaws.com' or 'http://127.0.0.1:9000' (MinIO)"),
        ({"bucket": "b-1", "region": "Europe"}, "region: should be an AWS region code like 'us-east-1' (got 'Europe')", "use a code like 'us-east-1'"),
        ({"bucket": "b-1", "access_key_id": "AKIDADMIN"}, "secret_access_key: is required with access_key_id", "give both (--access-key-id ID --secret-access-key-stdin), or neither to sign with the control plane's own AWS credentials"),
        (["shop-backups"], "the body should be a JSON object with bucket, prefix, endpoint, region, access_key_id and secret_access_key", "e.g. launchdeck db backups target set --bucket shop-backups"),
    ],
    ids=["no-bucket", "bucket", "endpoint", "region", "half-credentials", "not-an-object"],
)  # fmt: skip
def test_a_bad_target_is_422_naming_the_field_the_value_and_the_fix(
    api: TestClient, cp: FakeControlPlane, body: object, error: str, fix: str
) -> None:
    api.put(PATH, json={"bucket": "kept-bucket"}, headers=AUTH)

    response = api.put(PATH, json=body, headers=AUTH)

    assert response.status_code == 422
    assert response.json() == {"error": error, "fix": fix}
    assert api.get(PATH, headers=AUTH).json()["bucket"] == "kept-bucket"  # nothing changed


def test_a_stored_secret_the_key_cannot_open_is_a_409_with_the_fix(
    api: TestClient, cp: FakeControlPlane, monkeypatch: pytest.MonkeyPatch
) -> None:
    api.put(PATH, json=FULL, headers=AUTH)
    monkeypatch.setenv("LAUNCHDECK_SECRET_KEY", Fernet.generate_key().decode())  # not secret.key

    response = api.get(PATH, headers=AUTH)

    assert response.status_code == 409
    assert response.json()["error"].startswith(
        "the backup target's secret access key cannot be decrypted"
    )
    assert SECRET not in response.text


# -- a manifest naming a bucket -----------------------------------------------------------------


class Recorder(BaseHTTPRequestHandler):
    """An S3 endpoint an attacker controls: it would accept anything; it notes every request."""

    seen: ClassVar[list[str]] = []

    def _any(self) -> None:
        Recorder.seen.append(f"{self.command} {self.path}")
        self.send_response(200)
        self.end_headers()

    do_GET = do_PUT = do_POST = do_HEAD = _any

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def attacker() -> Iterator[str]:
    Recorder.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_a_manifest_naming_a_backup_bucket_is_refused_at_deploy_and_nothing_is_sent(
    api: TestClient, cp: FakeControlPlane, attacker: str
) -> None:
    api.post("/v1/apps", json={"name": "shop"}, headers=AUTH)
    alice = token(api, "deployer", "alice")
    manifest = (
        '[services.web]\ncommand = "serve"\nport = true\n'
        "[environments.staging.addons.postgres]\n"
        f'backups = {{ every = "1h", s3 = {{ bucket = "exfil", endpoint = "{attacker}" }} }}\n'
    )
    app = tarball({"launchdeck.toml": manifest})

    deploy = api.post("/v1/apps/shop/envs/staging/deploys", content=app, headers=alice)
    push = api.post("/v1/apps/shop/pushes", params={"branch": "main"}, content=app,
                    headers=alice)  # fmt: skip

    for response in (deploy, push):
        assert response.status_code == 422
        assert response.json()["error"].endswith(
            "launchdeck.toml: environments.staging.addons.postgres.backups.s3: backup "
            "destinations are control-plane settings, not part of the app (the backup holds "
            "every app's data on this host); fix: remove it and ask an admin to run: "
            "launchdeck db backups target set --bucket exfil"
        )
    assert cp.deployments.deploys == [] and leftovers(cp) == []
    assert cp.store.env("shop", "staging") is not None
    assert cp.store.env("shop", "staging").release is None  # type: ignore[union-attr]
    assert not (cp.home / "backup-target.json").exists()
    assert Recorder.seen == []
