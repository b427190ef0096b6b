from __future__ import annotations

import pytest

from launchdeck.controlplane.access.auth import (
    Permission,
    Principal,
    Role,
    authorize,
    new_token,
    token_hash,
)
from launchdeck.controlplane.errors import Forbidden

VIEWER = Principal("ci-dashboard", Role.VIEWER)
DEPLOYER = Principal("alice", Role.DEPLOYER)
ADMIN = Principal("root", Role.ADMIN)


@pytest.mark.parametrize("who", [VIEWER, DEPLOYER, ADMIN])
def test_everyone_reads(who: Principal) -> None:
    authorize(who, Permission.READ, "production")


def test_a_viewer_cannot_deploy() -> None:
    with pytest.raises(Forbidden) as caught:
        authorize(VIEWER, Permission.CHANGE_ENV, "staging")
    assert (
        caught.value.message
        == "ci-dashboard (role viewer) may not change an environment on 'staging'"
    )
    assert caught.value.status == 403


def test_a_deployer_changes_staging_and_promotes_but_cannot_touch_production_directly() -> None:
    authorize(DEPLOYER, Permission.CHANGE_ENV, "staging")
    authorize(DEPLOYER, Permission.CHANGE_ENV, "review-42")
    authorize(DEPLOYER, Permission.PROMOTE, "production")
    with pytest.raises(Forbidden) as caught:
        authorize(DEPLOYER, Permission.CHANGE_ENV, "production")
    assert caught.value.message == "alice (role deployer) cannot change 'production' directly"
    assert (
        caught.value.fix
        == "deploy to staging, then: launchdeck promote --from staging --to production"
    )


@pytest.mark.parametrize(
    "permission",
    [
        Permission.REVEAL_SECRETS,
        Permission.DESTROY_APP,
        Permission.MANAGE_TOKENS,
        Permission.READ_AUDIT,
    ],
)
def test_only_an_admin_reveals_secrets_destroys_apps_and_manages_tokens(
    permission: Permission,
) -> None:
    authorize(ADMIN, permission)
    with pytest.raises(Forbidden):
        authorize(DEPLOYER, permission)
    with pytest.raises(Forbidden):
        authorize(VIEWER, permission)


def test_tokens_are_random_and_stored_as_a_hash() -> None:
    one, two = new_token(), new_token()
    assert one != two and one.startswith("ldt_") and len(one) > 40
    assert token_hash(one) != one and len(token_hash(one)) == 64
    assert token_hash(one) == token_hash(one)
