"""Feature flags and error tracking as a team uses them, through the CLI, with examples/storefront:
the real Sentry SDK reports its errors to launchdeck (no settings: SENTRY_DSN is given), and the
real OpenFeature SDK with launchdeck's provider reads the flags the CLI changes."""

import shutil
import time
from urllib.parse import urlencode

import pytest
from launchdeck_openfeature import bucket

from tests.harness import ROOT, ControlPlane, make_control_plane
from tests.webhooks import Webhooks

pytestmark = pytest.mark.e2e

STOREFRONT = ROOT / "examples" / "storefront"
CLIENT = ROOT / "clients" / "python"
FLAG = "new-checkout"
USERS = [f"user-{n}" for n in range(200)]


@pytest.fixture(scope="module")
def hook():
    webhooks = Webhooks()
    yield webhooks
    webhooks.close()


def incidents(hook: Webhooks) -> list[str]:
    return [t for t in hook.texts() if "incident" in t]


@pytest.fixture(scope="module")
def cp(tmp_path_factory, hook):
    """One control plane and one deploy of the storefront for the module (a build is slow)."""
    tmp = tmp_path_factory.mktemp("storefront")
    plane = make_control_plane(tmp)
    plane.start()
    try:
        app = tmp / "storefront"
        shutil.copytree(STOREFRONT, app)
        shutil.copytree(
            CLIENT,
            app / "launchdeck-openfeature",
            ignore=shutil.ignore_patterns("*.egg-info", "__pycache__"),
        )
        manifest = (app / "launchdeck.toml").read_text()
        (app / "launchdeck.toml").write_text(
            f'{manifest}\n[notify]\nwebhooks = ["{hook.url}/ok"]\n'
        )
        plane.cli("apps", "create", "storefront")
        plane.cli("deploy", str(app), "--app", "storefront", timeout=600)
        yield plane
    finally:
        plane.stop_everything()


def get(cp: ControlPlane, path: str, **query: str) -> dict:
    status, body = cp.get("storefront", path=f"{path}?{urlencode(query)}" if query else path)
    assert status in (200, 500), (status, body)
    return body


def eventually(check, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(0.05)


def errors(cp: ControlPlane) -> list[dict]:
    return cp.cli("errors", "--app", "storefront", "--all", "--json").json()["groups"]


def test_errors_are_grouped_counted_and_a_regression_pages_once(cp, hook):
    for _ in range(100):
        assert cp.get("storefront", path="/divide?by=0")[0] == 500
    for _ in range(3):
        assert cp.get("storefront", path="/price?sku=none")[0] == 500

    def settled() -> list[dict]:
        groups = errors(cp)
        return groups if sorted(g["count"] for g in groups) == [3, 100] else []

    groups = eventually(settled)
    assert sorted(g["count"] for g in groups) == [3, 100], errors(cp)
    divide, price = sorted(groups, key=lambda g: -g["count"])
    assert divide["title"] == "ZeroDivisionError: division by zero"
    assert price["title"].startswith("KeyError")
    assert (divide["first_release"], price["first_release"]) == ("v1", "v1")
    assert divide["sample"]["path"] == "/divide"

    # a new release (v2): the same exception is the same group
    cp.cli("config", "set", "COLOUR=blue", "--app", "storefront", timeout=300)
    for _ in range(2):
        cp.get("storefront", path="/price?sku=none")
    assert eventually(
        lambda: [g for g in errors(cp) if g["key"] == price["key"] and g["count"] == 5]
    )
    again = {g["key"]: g for g in errors(cp)}
    assert len(again) == 2 and again[price["key"]]["last_release"] == "v2"

    # resolved in v2; seen again in v3: a regression, a P1 incident, posted once
    cp.cli("errors", "resolve", price["key"][:8], "--app", "storefront")
    before = len([t for t in incidents(hook) if "P1" in t])
    cp.cli("config", "set", "COLOUR=green", "--app", "storefront", timeout=300)
    for _ in range(4):
        cp.get("storefront", path="/price?sku=none")
    p1 = eventually(lambda: [t for t in incidents(hook) if "P1" in t][before:])
    assert len(p1) == 1 and price["title"][:20] in p1[0], incidents(hook)
    [incident] = [
        i
        for i in cp.cli("incidents", "--app", "storefront", "--json").json()
        if i["key"] == price["key"] and i["priority"] == "P1"
    ]
    assert incident["release"] == "v3" and "regression" in incident["reason"]
    time.sleep(1.0)  # more events of the same episode page no one again
    cp.get("storefront", path="/price?sku=none")
    time.sleep(1.0)
    assert len([t for t in incidents(hook) if "P1" in t][before:]) == 1


def evaluate(cp: ControlPlane, user: str, **context: str) -> dict:
    return get(cp, "/flag", name=FLAG, user=user, **context)


def on_users(cp: ControlPlane) -> set[str]:
    return {u for u in USERS if evaluate(cp, u)["value"]}


def test_a_flag_rolls_out_to_the_same_users_as_unleash_and_changes_without_a_deploy(cp):
    cli = lambda *args: cp.cli("flags", *args, "--app", "storefront")  # noqa: E731
    cli("create", FLAG)
    dark = {"value": False, "reason": "DISABLED", "variant": "off"}
    assert eventually(lambda: evaluate(cp, "user-1") == dark, timeout=2.0)  # ships dark
    cli("set", FLAG, "--rollout", "10%", "--on")

    expected = {u for u in USERS if bucket(FLAG, u) <= 10}
    ten = eventually(lambda: on_users(cp) == expected and on_users(cp), timeout=2.0)
    assert ten == expected  # the app's process buckets as this one does (and as Unleash)
    assert evaluate(cp, next(iter(expected)))["reason"] == "SPLIT"

    cli("set", FLAG, "--rollout", "20%")
    twenty = eventually(lambda: len(on_users(cp)) > len(ten) and on_users(cp), timeout=2.0)
    assert twenty == {u for u in USERS if bucket(FLAG, u) <= 20} and ten <= twenty

    # the kill switch reaches the running app within 2 s, no deploy
    deploys = len(cp.cli("releases", "--app", "storefront", "--json").json())
    cli("off", FLAG)
    assert eventually(lambda: not on_users(cp), timeout=2.0)
    assert len(cp.cli("releases", "--app", "storefront", "--json").json()) == deploys
    cli("on", FLAG)
    assert eventually(lambda: on_users(cp) == twenty, timeout=2.0)

    # with the control plane stopped the app keeps evaluating its last set; after a restart
    # every user gets the same answer
    cp.cli("server", "stop")
    assert on_users(cp) == twenty
    cp.start()
    assert on_users(cp) == twenty


def test_app_version_at_least_latest_follows_what_clients_report(cp):
    name = "latest-only"
    cp.cli("flags", "create", name, "--app", "storefront")
    cp.cli("flags", "set", name, "--on", "--rule", "app_version >= latest", "--app", "storefront")
    ask = lambda version: get(cp, "/flag", name=name, user="u", app_version=version)  # noqa: E731

    assert eventually(lambda: ask("1.4.0")["value"], timeout=5.0)  # 1.4.0 reported: the latest
    assert ask("1.3.9") == {"value": False, "reason": "DEFAULT", "variant": "off"}
    ask("1.5.0")  # a client on a newer release: latest moves, the flag is not edited
    assert eventually(lambda: not ask("1.4.0")["value"], timeout=5.0)
    assert ask("1.5.0")["value"]
    shown = cp.cli("flags", "list", "--app", "storefront", "--json").json()
    assert shown["latest_app_version"] == "1.5.0"


def test_bad_flag_input_is_refused_and_changes_nothing(cp):
    cp.cli("flags", "create", "guarded", "--app", "storefront")
    before = cp.cli("flags", "show", "guarded", "--app", "storefront", "--json").json()

    unknown = cp.cli("flags", "set", "nope", "--on", "--app", "storefront", check=False)
    assert unknown.code == 1 and "flag 'nope' not found" in unknown.err
    wide = cp.cli(
        "flags", "set", "guarded", "--rollout", "150%", "--app", "storefront", check=False
    )
    assert (
        wide.code == 1
        and "rollout: should be a whole percentage from 0% to 100% (got '150%')" in wide.err
    )
    bad = cp.cli(
        "flags", "set", "guarded", "--rule", "app_version >=", "--app", "storefront", check=False
    )
    assert bad.code == 1 and "column 15" in bad.err and "^" in bad.err

    assert cp.cli("flags", "show", "guarded", "--app", "storefront", "--json").json() == before
