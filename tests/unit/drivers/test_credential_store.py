from __future__ import annotations

from pathlib import Path

import pytest

from launchdeck.drivers.local.addon_errors import InvalidAddonInput
from launchdeck.drivers.local.credential_store import CredentialStore, environment_key


def test_a_password_is_made_once_and_kept_private(tmp_path: Path) -> None:
    store = CredentialStore(tmp_path / "secrets")
    first = store.get_or_create("shop_staging")
    assert len(first) == 32 and store.get_or_create("shop_staging") == first
    assert (tmp_path / "secrets" / "shop_staging").stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "secrets").stat().st_mode & 0o777 == 0o700
    copy = store.copy_to(tmp_path / "restored")
    assert copy.get("shop_staging") == first and copy.names() == ["shop_staging"]
    store.forget("shop_staging")
    assert store.get("shop_staging") is None


def test_environment_keys_are_validated() -> None:
    assert environment_key("shop-a", "staging") == "shop-a_staging"
    with pytest.raises(InvalidAddonInput) as info:
        environment_key("shop", "prod_1")
    assert str(info.value) == (
        "environment name 'prod_1' cannot name an add-on user: use 1-30 lowercase letters, "
        "digits and '-', starting with a letter"
    )
    with pytest.raises(InvalidAddonInput):
        CredentialStore(Path("/nowhere")).get("../etc/passwd")
