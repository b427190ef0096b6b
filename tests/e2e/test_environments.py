"""Environments as a team uses them: the manifest adds one and overrides its scale, config and
domains; `status` shows every environment's release, build and health."""

import http.client
import json

import pytest

from tests.harness import copy_example

pytestmark = pytest.mark.e2e

QA = """
[environments.qa]
scale.web = { count = 1 }
config = { GREETING = "hello from the manifest" }
domains = ["qa.shop.test"]
"""


def get(port: int, host: str) -> tuple[int, dict]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", "/", headers={"Host": host})
        resp = conn.getresponse()
        return resp.status, json.loads(resp.read())
    finally:
        conn.close()


def test_a_manifest_environment_with_its_own_scale_config_and_domain(cp, tmp_path):
    app = copy_example(tmp_path)
    (app / "launchdeck.toml").write_text((app / "launchdeck.toml").read_text() + QA)
    cp.cli("apps", "create", "hello")

    cp.cli("deploy", str(app), "--app", "hello", "--env", "qa")

    ps = cp.cli("ps", "--app", "hello", "-e", "qa", "--json").json()
    assert [i["service"] for i in ps].count("web") == 1
    assert get(cp.http_port, "hello-qa.localhost") == (200, get(cp.http_port, "qa.shop.test")[1])
    status, body = get(cp.http_port, "qa.shop.test")
    assert status == 200 and body["greeting"] == "hello from the manifest"

    cp.cli("config", "set", "GREETING=set by hand", "--app", "hello", "-e", "qa")
    assert get(cp.http_port, "qa.shop.test")[1]["greeting"] == "set by hand"  # config set wins

    shown = cp.cli("status", "--app", "hello", "-e", "qa")
    [qa_row] = [line for line in shown.out.splitlines() if line.startswith("qa ")]
    assert "v2" in qa_row and "sha256:" in qa_row and "2/2" in qa_row  # web + worker
    envs = cp.cli("status", "--app", "hello", "--json").json()["environments"]
    assert sorted(envs) == ["production", "qa", "staging"]
    assert envs["qa"]["build"].startswith("sha256:") and envs["staging"]["release"] is None

    # custom domains from the CLI route at once, without a release; one domain, one environment
    cp.cli("domains", "add", "www.shop.test", "--app", "hello", "-e", "qa")
    assert get(cp.http_port, "www.shop.test")[0] == 200
    listed = cp.cli("domains", "list", "--app", "hello", "-e", "qa", "--json").json()
    assert listed == [
        {"domain": "qa.shop.test", "source": "manifest"},
        {"domain": "www.shop.test", "source": "cli"},
    ]
    taken = cp.cli("domains", "add", "www.shop.test", "--app", "hello", check=False)
    assert taken.code == 1 and "domain 'www.shop.test' already routes to hello/qa" in taken.err
    pinned = cp.cli("domains", "remove", "qa.shop.test", "--app", "hello", "-e", "qa", check=False)
    assert pinned.code == 1 and "comes from launchdeck.toml" in pinned.err
    cp.cli("domains", "remove", "www.shop.test", "--app", "hello", "-e", "qa")
    assert get_status(cp.http_port, "www.shop.test") != 200
    assert cp.cli("releases", "--app", "hello", "-e", "qa", "--json").json()[0]["name"] == "v2"


def get_status(port: int, host: str) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", "/", headers={"Host": host})
        return conn.getresponse().status
    finally:
        conn.close()
