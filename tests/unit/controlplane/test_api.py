from __future__ import annotations

import io
import tarfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from launchdeck.controlplane.access.secrets import Keyring
from launchdeck.controlplane.errortracking.store import ErrorStore
from launchdeck.controlplane.errortracking.tracker import ErrorTracker
from launchdeck.controlplane.flags.service import Flags
from launchdeck.controlplane.flags.store import FlagStore
from launchdeck.controlplane.http import create_api
from launchdeck.controlplane.logs.store import LogStore
from launchdeck.controlplane.notify import Notifier
from launchdeck.controlplane.plane import ControlPlane
from launchdeck.controlplane.settings import Settings
from launchdeck.controlplane.store import EnvState, Store
from launchdeck.domain import Deployment, DeploymentKind, DeploymentState, Manifest
from tests.unit.controlplane.store_fixtures import put_env

TOKEN = "s3cret-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
AUTH_FIX = "check LAUNCHDECK_TOKEN or $LAUNCHDECK_HOME/api.json"


@dataclass
class DeployCall:
    env: EnvState
    source: Path
    manifest: Manifest
    git_sha: str | None
    files: list[str]


@dataclass
class RecordingDeployments:
    """Accepts deploys without building anything and remembers what it was given."""

    deploys: list[DeployCall] = field(default_factory=list)

    def deploy(
        self,
        env: EnvState,
        source: Path,
        manifest: Manifest,
        git_sha: str | None,
        *,
        canary: bool = False,
    ) -> Deployment:
        files = sorted(str(p.relative_to(source)) for p in source.rglob("*"))
        self.deploys.append(DeployCall(env, source, manifest, git_sha, files))
        return Deployment(
            id=len(self.deploys),
            app=env.app,
            env=env.name,
            kind=DeploymentKind.DEPLOY,
            state=DeploymentState.PENDING,
            created_at=5.0,
            from_release=env.release,
        )


class FakeControlPlane:
    """The parts of ControlPlane the routes under test use: a real store and log store in a
    temporary home, a recording deployments, and a plain app summary."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.settings = Settings(home=home)
        self.store = Store(home / "launchdeck.db")
        self.logs = LogStore(home / "logs")
        self.deployments = RecordingDeployments()
        self.flags = Flags(FlagStore(home / "flags.db", Keyring(home)))
        self.runs = None  # one-off runs need a driver: tests/e2e/test_run.py
        self.errors = ErrorTracker(
            ErrorStore(home / "errors.db"), self.store, Notifier(), lambda *_: 0
        )

    deployment = ControlPlane.deployment  # the real lookup: it reads only the store

    def app_json(self, name: str) -> dict[str, Any]:
        """The real shape, with empty environments (nothing deployed in these tests)."""
        empty = {"release": None, "build": None, "instances": 0, "healthy": 0,
                 "last_deployment": None, "url": "http://x/"}  # fmt: skip
        return {"name": name, "envs": {e.name: empty for e in self.store.envs(name)}}


@pytest.fixture
def cp(tmp_path: Path):
    plane = FakeControlPlane(tmp_path / "home")
    yield plane
    plane.store.close()


@pytest.fixture
def client(cp: FakeControlPlane) -> TestClient:
    return TestClient(create_api(cp, TOKEN))  # type: ignore[arg-type]


def tarball(files: dict[str, str]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def leftovers(cp: FakeControlPlane) -> list[Path]:
    tmp = cp.home / "tmp"
    return list(tmp.iterdir()) if tmp.exists() else []


# -- auth -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": ""},
        {"Authorization": "Bearer "},
        {"Authorization": "Bearer wrong-token"},
        {"Authorization": f"Bearer {TOKEN}x"},
        {"Authorization": f"Basic {TOKEN}"},
    ],
    ids=["none", "empty", "bearer-only", "wrong", "longer", "other-scheme"],
)
def test_requests_without_the_right_token_get_401(client: TestClient, headers: dict) -> None:
    response = client.get("/v1/apps", headers=headers)

    assert response.status_code == 401
    assert response.json() == {"error": "missing or wrong API token", "fix": AUTH_FIX}


def test_every_route_needs_the_token(client: TestClient) -> None:
    assert client.post("/v1/apps", json={"name": "shop"}).status_code == 401
    assert client.delete("/v1/apps/shop").status_code == 401
    assert client.post("/v1/apps/shop/envs/staging/deploys", content=b"x").status_code == 401
    assert client.get("/v1/apps/shop/envs/staging/logs").status_code == 401


def test_the_right_token_is_let_in(client: TestClient) -> None:
    response = client.get("/v1/apps", headers=AUTH)

    assert response.status_code == 200
    assert response.json() == []


# -- apps -------------------------------------------------------------------------------------


def test_create_app_makes_staging_and_production(client: TestClient, cp: FakeControlPlane) -> None:
    response = client.post("/v1/apps", json={"name": "shop"}, headers=AUTH)

    assert response.status_code == 201
    assert response.json() == {"name": "shop", "envs": ["staging", "production"]}
    assert [e.name for e in cp.store.envs("shop")] == ["production", "staging"]
    [listed] = client.get("/v1/apps", headers=AUTH).json()
    assert (listed["name"], sorted(listed["envs"])) == ("shop", ["production", "staging"])


@pytest.mark.parametrize("name", ["Shop", "1shop", "shop_app", "", "a" * 31, "shop app", "-shop"])
def test_create_app_with_a_bad_name_is_422(
    client: TestClient, cp: FakeControlPlane, name: str
) -> None:
    response = client.post("/v1/apps", json={"name": name}, headers=AUTH)

    assert response.status_code == 422
    assert response.json() == {
        "error": f"app name {name!r} is not valid: use 1-30 lowercase letters, digits and '-', "
        "starting with a letter",
        "fix": "e.g. launchdeck apps create shop",
    }
    assert cp.store.apps() == []


def test_create_app_twice_is_409(client: TestClient) -> None:
    client.post("/v1/apps", json={"name": "shop"}, headers=AUTH)

    response = client.post("/v1/apps", json={"name": "shop"}, headers=AUTH)

    assert response.status_code == 409
    assert response.json() == {"error": "app 'shop' already exists", "fix": "pick another name"}


def test_a_request_body_missing_a_field_answers_in_the_error_shape(client: TestClient) -> None:
    response = client.post("/v1/apps", json={}, headers=AUTH)

    assert response.status_code == 422
    assert set(response.json()) == {"error", "fix"}


def test_unknown_app_is_404_with_how_to_create_it(client: TestClient) -> None:
    response = client.get("/v1/apps/shop/envs/staging/config", headers=AUTH)

    assert response.status_code == 404
    assert response.json() == {
        "error": "app 'shop' not found",
        "fix": "create it with: launchdeck apps create shop",
    }


def test_unknown_env_is_404_naming_the_envs_there_are(client: TestClient) -> None:
    client.post("/v1/apps", json={"name": "shop"}, headers=AUTH)

    response = client.get("/v1/apps/shop/envs/qa/config", headers=AUTH)

    assert response.status_code == 404
    assert response.json() == {
        "error": "app 'shop' has no environment 'qa' (it has: production, staging)",
        "fix": "use --env production",
    }


def test_destroy_needs_the_app_name_as_confirmation(
    client: TestClient, cp: FakeControlPlane
) -> None:
    client.post("/v1/apps", json={"name": "shop"}, headers=AUTH)

    response = client.delete("/v1/apps/shop", params={"confirm": "shoe"}, headers=AUTH)

    assert response.status_code == 422
    assert response.json() == {
        "error": "destroying 'shop' needs confirmation",
        "fix": "add --confirm shop",
    }
    assert cp.store.app_exists("shop")


def test_destroy_of_an_unknown_app_is_404(client: TestClient) -> None:
    response = client.delete("/v1/apps/shop", params={"confirm": "shop"}, headers=AUTH)

    assert response.status_code == 404
    assert response.json()["error"] == "app 'shop' not found"


# -- config and logs --------------------------------------------------------------------------


def test_get_config_returns_the_env_config(client: TestClient, cp: FakeControlPlane) -> None:
    client.post("/v1/apps", json={"name": "shop"}, headers=AUTH)
    put_env(cp.store, EnvState("shop", "staging", config={"DEBUG": "1"}))

    response = client.get("/v1/apps/shop/envs/staging/config", headers=AUTH)

    assert response.json() == {"config": {"DEBUG": "1"}, "secrets": []}


def test_a_bad_config_key_is_422(client: TestClient) -> None:
    client.post("/v1/apps", json={"name": "shop"}, headers=AUTH)

    response = client.patch(
        "/v1/apps/shop/envs/staging/config", json={"set": {"BAD-KEY": "1"}}, headers=AUTH
    )

    assert response.status_code == 422
    assert response.json() == {
        "error": "config key 'BAD-KEY' is not valid: use letters, digits and '_'",
        "fix": "e.g. launchdeck config set DATABASE_POOL=5",
    }


def test_a_bad_grep_pattern_is_422(client: TestClient) -> None:
    client.post("/v1/apps", json={"name": "shop"}, headers=AUTH)

    response = client.get("/v1/apps/shop/envs/staging/logs", params={"grep": "("}, headers=AUTH)

    assert response.status_code == 422
    assert response.json() == {
        "error": "--grep '(' is not a valid regular expression: missing ) at position 1",
        "fix": "escape special characters, e.g. 'GET /health'",
    }


def test_a_grep_that_backtracks_without_end_is_refused_not_left_running(
    client: TestClient, cp: FakeControlPlane
) -> None:
    """A reader's token is enough to ask for logs: `(a+)+$` over a line of a's ending in "b"
    would hold a worker thread for years with `re`; the search gives up within its limit."""
    client.post("/v1/apps", json={"name": "shop"}, headers=AUTH)
    raw = cp.logs.raw / "shop" / "staging" / "web.v1-abcdef.log"
    raw.parent.mkdir(parents=True)
    raw.write_text("a" * 3000 + "b\n")
    started = time.monotonic()

    response = client.get(
        "/v1/apps/shop/envs/staging/logs", params={"grep": "(a+)+$"}, headers=AUTH
    )

    assert time.monotonic() - started < 5
    assert response.status_code == 422
    assert response.json() == {
        "error": "--grep '(a+)+$' took over 0.05s on one line: it backtracks without end "
        "(nested repeats like '(a+)+')",
        "fix": "simplify the pattern, e.g. 'a+' instead of '(a+)+'",
    }
    followed = client.get(
        "/v1/apps/shop/envs/staging/logs",
        params={"grep": "(a+)+$", "follow": "true"},
        headers=AUTH,
    )
    assert followed.status_code == 200 and followed.text == ""  # the stream just ends
    assert time.monotonic() - started < 10


def test_logs_stream_as_ndjson(client: TestClient, cp: FakeControlPlane) -> None:
    client.post("/v1/apps", json={"name": "shop"}, headers=AUTH)
    raw = cp.logs.raw / "shop" / "staging" / "web.v1-abcdef.log"
    raw.parent.mkdir(parents=True)
    raw.write_text("GET / 200\nGET /cart 500\n")

    response = client.get("/v1/apps/shop/envs/staging/logs", params={"grep": "500"}, headers=AUTH)

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/x-ndjson"
    [line] = response.text.splitlines()
    assert '"line": "GET /cart 500"' in line


# -- deploy uploads ---------------------------------------------------------------------------


def test_a_deploy_upload_that_is_not_a_gzip_tar_is_422(
    client: TestClient, cp: FakeControlPlane
) -> None:
    client.post("/v1/apps", json={"name": "shop"}, headers=AUTH)

    response = client.post(
        "/v1/apps/shop/envs/staging/deploys", content=b"this is not a tarball", headers=AUTH
    )

    assert response.status_code == 422
    assert response.json() == {
        "error": "the upload is not a gzipped tar of an app directory (not a gzip file)",
        "fix": "deploy with: launchdeck deploy PATH",
    }
    assert leftovers(cp) == []
    assert cp.deployments.deploys == []


def test_an_empty_deploy_upload_is_422(client: TestClient, cp: FakeControlPlane) -> None:
    client.post("/v1/apps", json={"name": "shop"}, headers=AUTH)

    response = client.post("/v1/apps/shop/envs/staging/deploys", content=b"", headers=AUTH)

    assert response.status_code == 422
    assert response.json()["error"] == (
        "the upload is not a gzipped tar of an app directory (empty file)"
    )
    assert leftovers(cp) == []


def test_a_deploy_upload_reaching_outside_its_directory_is_422(
    client: TestClient, cp: FakeControlPlane
) -> None:
    client.post("/v1/apps", json={"name": "shop"}, headers=AUTH)
    body = tarball({"Procfile": "web: serve\n", "../escaped.txt": "gotcha"})

    response = client.post("/v1/apps/shop/envs/staging/deploys", content=body, headers=AUTH)

    assert response.status_code == 422
    assert response.json()["error"].startswith(
        "the upload is not a gzipped tar of an app directory ("
    )
    assert not (cp.home / "escaped.txt").exists()
    assert leftovers(cp) == []


def test_a_deploy_of_an_app_without_procfile_or_manifest_is_422(
    client: TestClient, cp: FakeControlPlane
) -> None:
    client.post("/v1/apps", json={"name": "shop"}, headers=AUTH)

    response = client.post(
        "/v1/apps/shop/envs/staging/deploys", content=tarball({"README": "hi"}), headers=AUTH
    )

    assert response.status_code == 422
    assert "no launchdeck.toml or Procfile found" in response.json()["error"]
    assert response.json()["fix"] == "fix the app, then deploy again"
    assert leftovers(cp) == []
    assert cp.deployments.deploys == []


def test_a_manifest_error_never_names_where_the_server_unpacked_the_app(
    client: TestClient, cp: FakeControlPlane
) -> None:
    client.post("/v1/apps", json={"name": "shop"}, headers=AUTH)
    app = tarball({"launchdeck.toml": '[services.web]\ncommand = "serve"\nport = 80\n'})

    response = client.post("/v1/apps/shop/envs/staging/deploys", content=app, headers=AUTH)

    assert response.status_code == 422
    assert response.json()["error"].startswith("launchdeck.toml: services.web.port: ")
    assert str(cp.home) not in response.json()["error"]


def test_a_deploy_to_an_unknown_app_is_404(client: TestClient) -> None:
    body = tarball({"Procfile": "web: serve\n"})

    response = client.post("/v1/apps/shop/envs/staging/deploys", content=body, headers=AUTH)

    assert response.status_code == 404
    assert response.json()["error"] == "app 'shop' not found"


def test_a_good_upload_is_unpacked_and_handed_to_the_engine(
    client: TestClient, cp: FakeControlPlane
) -> None:
    client.post("/v1/apps", json={"name": "shop"}, headers=AUTH)
    body = tarball({"Procfile": "web: python -m http.server $PORT\n", "app/main.py": "print(1)\n"})

    response = client.post(
        "/v1/apps/shop/envs/staging/deploys",
        content=body,
        params={"git_sha": "abc123"},
        headers=AUTH,
    )

    assert response.status_code == 202
    assert response.json() == {
        "id": 1,
        "app": "shop",
        "env": "staging",
        "kind": "deploy",
        "state": "pending",
        "finished": False,
        "from_release": None,
        "to_release": None,
        "reason": "",
        "created_at": 5.0,
        "finished_at": None,
        "canary": False,
    }
    [call] = cp.deployments.deploys
    assert call.env == EnvState("shop", "staging")
    assert call.git_sha == "abc123"
    assert call.files == ["Procfile", "app", "app/main.py"]
    assert call.source.parent == cp.home / "tmp"
    assert list(call.manifest.services) == ["web"]


def test_secret_config_values_are_masked_unless_revealed(
    client: TestClient, cp: FakeControlPlane
) -> None:
    client.post("/v1/apps", json={"name": "shop"}, headers=AUTH)
    put_env(
        cp.store,
        EnvState(
            "shop",
            "staging",
            config={"DEBUG": "1", "API_KEY": "sk-1"},
            secrets=frozenset({"API_KEY"}),
        ),
    )

    masked = client.get("/v1/apps/shop/envs/staging/config", headers=AUTH).json()
    revealed = client.get(
        "/v1/apps/shop/envs/staging/config", params={"reveal": "true"}, headers=AUTH
    ).json()

    assert masked == {"config": {"API_KEY": "********", "DEBUG": "1"}, "secrets": ["API_KEY"]}
    assert revealed["config"] == {"API_KEY": "sk-1", "DEBUG": "1"}


def test_a_deploy_to_an_environment_the_manifest_declares_creates_it(
    client: TestClient, cp: FakeControlPlane
) -> None:
    client.post("/v1/apps", json={"name": "shop"}, headers=AUTH)
    app = tarball(
        {
            "Procfile": "web: serve\n",
            "launchdeck.toml": '[environments.qa]\nconfig = { LOG_LEVEL = "debug" }\n',
        }
    )

    made = client.post("/v1/apps/shop/envs/qa/deploys", content=app, headers=AUTH)
    unknown = client.post("/v1/apps/shop/envs/demo/deploys", content=app, headers=AUTH)

    assert made.status_code == 202 and cp.store.env("shop", "qa") == EnvState("shop", "qa")
    assert unknown.status_code == 404
    assert unknown.json()["error"] == (
        "app 'shop' has no environment 'demo' (it has: production, qa, staging)"
    )
    assert cp.store.env("shop", "demo") is None
