"""Roles through the CLI as people use them: an admin hands out tokens, each is held to its role,
and the audit log shows every attempt."""

import dataclasses

import pytest

from tests.harness import copy_example

pytestmark = pytest.mark.e2e


def as_holder(cp, token):
    return dataclasses.replace(cp, env={**cp.env, "LAUNCHDECK_TOKEN": token})


def test_tokens_roles_and_the_audit_log(cp, tmp_path):
    app = copy_example(tmp_path)
    cp.cli("apps", "create", "hello")
    viewer = cp.cli("tokens", "create", "--role", "viewer", "--name", "dash", "--json").json()
    deployer = cp.cli("tokens", "create", "--role", "deployer", "--name", "alice", "--json").json()

    refused = as_holder(cp, viewer["token"]).cli("deploy", str(app), "--app", "hello", check=False)
    assert refused.code == 1
    assert "dash (role viewer) may not change an environment on 'staging'" in refused.err

    alice = as_holder(cp, deployer["token"])
    prod = alice.cli("deploy", str(app), "--app", "hello", "--env", "production", check=False)
    assert prod.code == 1 and "cannot change 'production' directly" in prod.err
    assert alice.cli("tokens", "list", check=False).code == 1
    alice.cli("deploy", str(app), "--app", "hello")  # staging: allowed

    cp.cli("config", "set", "--secret", "API_KEY=sk-live-0042", "--app", "hello")
    peek = alice.cli("config", "get", "API_KEY", "--reveal", "--app", "hello", check=False)
    assert peek.code == 1 and "alice (role deployer) may not reveal secrets" in peek.err
    assert alice.cli("config", "get", "API_KEY", "--app", "hello").out == "********\n"
    assert cp.cli("config", "get", "API_KEY", "--reveal", "--app", "hello").out == "sk-live-0042\n"

    cp.cli("tokens", "revoke", viewer["id"])
    gone = as_holder(cp, viewer["token"]).cli("ps", "--app", "hello", check=False)
    assert gone.code == 1 and "missing or wrong API token" in gone.err

    audit = cp.cli("audit", "--json").json()
    attempts = [(e["who"], e["action"], e["status"]) for e in audit]
    assert ("dash", "POST /v1/apps/hello/envs/staging/deploys", 403) in attempts
    assert ("alice", "POST /v1/apps/hello/envs/production/deploys", 403) in attempts
    assert ("alice", "POST /v1/apps/hello/envs/staging/deploys", 202) in attempts
    assert ("alice", "GET /v1/apps/hello/envs/staging/config?reveal=true", 403) in attempts
    assert ("owner", "GET /v1/apps/hello/envs/staging/config?reveal=true", 200) in attempts
