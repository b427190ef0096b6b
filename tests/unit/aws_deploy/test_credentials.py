from __future__ import annotations

from pathlib import Path

import pytest

from launchdeck.awsdeploy import open_aws
from launchdeck.drivers.aws.credentials import resolve_session
from launchdeck.drivers.aws.errors import CredentialsInvalid, CredentialsNotFound


@pytest.fixture
def environ(tmp_path: Path) -> dict[str, str]:
    """Nothing but empty AWS files; instance metadata off, so no test ever reaches the network."""
    return {
        "AWS_CONFIG_FILE": str(tmp_path / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
    }


def message(environ: dict[str, str], profile_line: str) -> tuple[str, str]:
    looked = "\n".join(
        [
            "no AWS credentials found; launchdeck looked, in this order, at:",
            "  - environment variables AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY: not set",
            "  - web identity (OIDC) AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN: not set",
            f"  - {profile_line} in {environ['AWS_SHARED_CREDENTIALS_FILE']} and "
            f"{environ['AWS_CONFIG_FILE']}: not found",
            "  - container credentials (ECS, EKS) AWS_CONTAINER_CREDENTIALS_RELATIVE_URI or "
            "AWS_CONTAINER_CREDENTIALS_FULL_URI: not set",
            "  - EC2 instance metadata: turned off by AWS_EC2_METADATA_DISABLED=true",
        ]
    )
    fixes = "\n".join(
        [
            "do one of:",
            "  - on a workstation: run `aws configure` (or `aws configure sso`), then pass --profile "
            "NAME or set AWS_PROFILE",
            "  - export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for "
            "temporary keys)",
            "  - in GitHub Actions: grant `id-token: write` and run aws-actions/configure-aws-credentials "
            "with role-to-assume set to the shared stack's DeployRoleArn output (OIDC, no stored keys)",
        ]
    )
    return looked, fixes


def test_no_credentials_anywhere_says_where_it_looked_and_how_to_fix_it(
    environ, monkeypatch
) -> None:
    # the process environment has keys, but the environ passed in is the whole truth
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAPROCESS")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")

    with pytest.raises(CredentialsNotFound) as missing:
        resolve_session("us-east-1", environ)

    assert (missing.value.message, missing.value.fix) == message(
        environ, "profile 'default' (AWS_PROFILE not set)"
    )


def test_open_aws_wraps_real_clients_for_a_session_with_credentials(environ) -> None:
    session = resolve_session(
        "us-east-1", {**environ, "AWS_ACCESS_KEY_ID": "AKIA", "AWS_SECRET_ACCESS_KEY": "s"}
    )

    apis = open_aws(session)

    assert type(apis.stacks).__name__ == "Stacks"


def test_keys_in_the_environment(environ) -> None:
    found = resolve_session(
        "eu-west-1", {**environ, "AWS_ACCESS_KEY_ID": "AKIA", "AWS_SECRET_ACCESS_KEY": "s"}
    )

    assert (found.method, found.region) == ("env", "eu-west-1")
    assert found.botocore.get_credentials().access_key == "AKIA"


def test_half_a_key_pair(environ) -> None:
    with pytest.raises(CredentialsInvalid) as broken:
        resolve_session("us-east-1", {**environ, "AWS_ACCESS_KEY_ID": "AKIA"})

    assert (broken.value.message, broken.value.fix) == (
        "Partial credentials found in env, missing: AWS_SECRET_ACCESS_KEY",
        "set both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or neither",
    )


def test_a_profile_named_by_aws_profile(environ) -> None:
    Path(environ["AWS_SHARED_CREDENTIALS_FILE"]).write_text(
        "[dev]\naws_access_key_id = AKIADEV\naws_secret_access_key = s\n"
    )

    found = resolve_session("us-east-1", {**environ, "AWS_PROFILE": "dev"})

    assert (found.method, found.profile) == ("shared-credentials-file", "dev")


def test_an_explicit_profile_wins_over_keys_in_the_environment(environ) -> None:
    Path(environ["AWS_SHARED_CREDENTIALS_FILE"]).write_text(
        "[dev]\naws_access_key_id = AKIADEV\naws_secret_access_key = s\n"
    )
    keys = {"AWS_ACCESS_KEY_ID": "AKIAENV", "AWS_SECRET_ACCESS_KEY": "s"}

    found = resolve_session("us-east-1", {**environ, **keys}, profile="dev")

    assert found.botocore.get_credentials().access_key == "AKIADEV"


def test_an_unknown_profile(environ) -> None:
    with pytest.raises(CredentialsInvalid) as broken:
        resolve_session("us-east-1", {**environ, "AWS_PROFILE": "prod"})

    assert (broken.value.message, broken.value.fix) == (
        f"AWS profile 'prod' is in neither {environ['AWS_SHARED_CREDENTIALS_FILE']} nor "
        f"{environ['AWS_CONFIG_FILE']}",
        "create it (aws configure --profile prod) or pick another with --profile or AWS_PROFILE",
    )


def test_a_profile_without_credentials_is_reported_as_such(environ) -> None:
    Path(environ["AWS_CONFIG_FILE"]).write_text("[profile dev]\nregion = us-east-1\n")

    with pytest.raises(CredentialsNotFound) as missing:
        resolve_session("us-east-1", environ, profile="dev")

    assert "  - profile 'dev' (from --profile) in " in str(missing.value)
    assert ": has no credentials\n" in str(missing.value)


def test_github_oidc_web_identity_from_the_environment(environ, tmp_path: Path) -> None:
    token = tmp_path / "token"
    token.write_text("eyJ...")
    oidc = {
        "AWS_WEB_IDENTITY_TOKEN_FILE": str(token),
        "AWS_ROLE_ARN": "arn:aws:iam::123456789012:role/launchdeck-deploy",
    }

    found = resolve_session("us-east-1", {**environ, **oidc})

    assert found.method == "assume-role-with-web-identity"  # exchanged lazily, on first use


def test_a_web_identity_token_without_a_role(environ, tmp_path: Path) -> None:
    token = tmp_path / "token"
    token.write_text("eyJ...")

    with pytest.raises(CredentialsInvalid, match="has no role ARN configured"):
        resolve_session("us-east-1", {**environ, "AWS_WEB_IDENTITY_TOKEN_FILE": str(token)})
