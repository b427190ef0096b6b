"""Find AWS credentials before any AWS call, the way the AWS CLI does, from a given environment.

botocore's own chain (environment keys, web identity, profiles with SSO/assume-role/process,
container and instance metadata) decides; this module points every part of it that reads the
environment at the `environ` passed in, so a test's dict is the whole truth, and turns "nothing
found" into a message that lists where it looked and how to fix it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import botocore.configprovider as configprovider
import botocore.credentials as creds
from botocore.configprovider import ConfigValueStore
from botocore.exceptions import (
    BotoCoreError,
    InvalidConfigError,
    PartialCredentialsError,
    ProfileNotFound,
)
from botocore.session import Session

from launchdeck.drivers.aws.errors import CredentialsInvalid, CredentialsNotFound

DEFAULT_CONFIG_FILE = "~/.aws/config"
DEFAULT_CREDENTIALS_FILE = "~/.aws/credentials"
FIXES = (
    "on a workstation: run `aws configure` (or `aws configure sso`), then pass --profile NAME "
    "or set AWS_PROFILE",
    "export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary keys)",
    "in GitHub Actions: grant `id-token: write` and run aws-actions/configure-aws-credentials "
    "with role-to-assume set to the shared stack's DeployRoleArn output (OIDC, no stored keys)",
)


@dataclass(frozen=True)
class AwsSession:
    """A botocore session known to have credentials; `method` says where they came from
    (botocore's names: env, shared-credentials-file, assume-role-with-web-identity, sso, ...)."""

    botocore: Session = field(compare=False)
    method: str
    profile: str
    region: str


def resolve_session(
    region: str,
    environ: Mapping[str, str] = os.environ,
    *,
    profile: str | None = None,
) -> AwsSession:
    """A session with credentials, or CredentialsNotFound/CredentialsInvalid. Makes no AWS call
    except, outside EC2/ECS-disabled environments, the instance metadata probe botocore does."""
    profile_name = profile or environ.get("AWS_PROFILE") or "default"
    try:
        session = _session(region, environ, profile)
        found = session.get_credentials()
    except ProfileNotFound:
        raise CredentialsInvalid(
            f"AWS profile {profile_name!r} is in neither {_files(environ, 'nor')}",
            f"create it (aws configure --profile {profile_name}) or pick another with --profile "
            "or AWS_PROFILE",
        ) from None
    except PartialCredentialsError as exc:
        raise CredentialsInvalid(
            str(exc), "set both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or neither"
        ) from None
    except (InvalidConfigError, BotoCoreError) as exc:
        raise CredentialsInvalid(
            f"AWS credentials are misconfigured: {exc}",
            f"fix the setting it names (in the environment, or in {_files(environ)})",
        ) from None
    if found is None:
        raise CredentialsNotFound(_looked(session, environ, profile), FIXES)
    return AwsSession(session, str(found.method), profile_name, region)


def _session(region: str, environ: Mapping[str, str], profile: str | None) -> Session:
    session = Session(profile=profile)
    session.register_component("config_store", _config_store(session, environ))
    session.set_config_variable("region", region)
    resolver = creds.create_credential_resolver(session, region_name=region)
    providers = [_bound(p, session, environ, profile) for p in resolver.providers]
    resolver.providers = [p for p in providers if p is not None]
    session.register_component("credential_provider", resolver)
    return session


def _config_store(session: Session, environ: Mapping[str, str]) -> ConfigValueStore:
    """botocore's default config chains, reading `environ` instead of os.environ."""
    chain = configprovider.ConfigChainFactory(session=session, environ=environ)

    def chains(variables: Mapping[str, Any]) -> dict[str, Any]:
        return {
            name: chain.create_config_chain(
                instance_name=name,
                env_var_names=env,
                config_property_names=prop,
                default=default,
                conversion_func=convert,
            )
            for name, (prop, env, default, convert) in variables.items()
        }

    mapping: dict[str, Any] = chains(configprovider.BOTOCORE_DEFAUT_SESSION_VARIABLES)
    for section, variables in (
        ("s3", configprovider.DEFAULT_S3_CONFIG_VARS),
        ("proxies_config", configprovider.DEFAULT_PROXIES_CONFIG_VARS),
    ):
        mapping[section] = configprovider.SectionConfigProvider(section, session, chains(variables))
    return ConfigValueStore(mapping=mapping)


def _bound(
    provider: creds.CredentialProvider,
    session: Session,
    environ: Mapping[str, str],
    profile: str | None,
) -> creds.CredentialProvider | None:
    """The same provider reading `environ`; None drops it (instance metadata when disabled)."""
    match provider:
        case creds.EnvProvider():
            return creds.EnvProvider(environ=environ)
        case creds.ContainerProvider():
            return creds.ContainerProvider(environ=environ)
        case creds.OriginalEC2Provider():
            return creds.OriginalEC2Provider(environ=environ)
        case creds.BotoProvider():
            return creds.BotoProvider(environ=environ)
        case creds.InstanceMetadataProvider():
            disabled = environ.get("AWS_EC2_METADATA_DISABLED", "").lower() == "true"
            return None if disabled else provider
        case creds.AssumeRoleWithWebIdentityProvider():
            return _web_identity(session, environ, profile)
    return provider


def _web_identity(
    session: Session, environ: Mapping[str, str], profile: str | None
) -> creds.AssumeRoleWithWebIdentityProvider:
    # botocore's provider reads os.environ for AWS_WEB_IDENTITY_TOKEN_FILE/AWS_ROLE_ARN; give it
    # the environ's values through the profile channel instead (env first, as botocore does;
    # an explicit profile ignores the environment, as botocore does).
    name = profile or environ.get("AWS_PROFILE") or "default"
    region = session.get_config_variable("region")

    def load_config() -> dict[str, Any]:
        values = dict(session.full_config.get("profiles", {}).get(name, {}))
        if profile is None:
            for key, var in (
                ("web_identity_token_file", "AWS_WEB_IDENTITY_TOKEN_FILE"),
                ("role_arn", "AWS_ROLE_ARN"),
                ("role_session_name", "AWS_ROLE_SESSION_NAME"),
            ):
                if environ.get(var):
                    values[key] = environ[var]
        return {"profiles": {name: values}}

    def client_creator(service: str, **kwargs: Any) -> Any:
        return session.create_client(service, region_name=region, **kwargs)

    return creds.AssumeRoleWithWebIdentityProvider(
        load_config=load_config,
        client_creator=client_creator,
        profile_name=name,
        disable_env_vars=True,
    )


def _looked(session: Session, environ: Mapping[str, str], explicit: str | None) -> list[str]:
    def status(*names: str) -> str:
        present = [n for n in names if environ.get(n)]
        return f"only {', '.join(present)} set" if present else "not set"

    profile = explicit or environ.get("AWS_PROFILE") or "default"
    source = "--profile" if explicit else "AWS_PROFILE" if environ.get("AWS_PROFILE") else ""
    named = f"profile {profile!r}" + (f" (from {source})" if source else " (AWS_PROFILE not set)")
    in_files = "has no credentials" if profile in _profiles(session) else "not found"
    metadata = (
        "turned off by AWS_EC2_METADATA_DISABLED=true"
        if environ.get("AWS_EC2_METADATA_DISABLED", "").lower() == "true"
        else "no answer (not on EC2, or no instance role)"
    )
    return [
        "environment variables AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY: "
        + status("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"),
        "web identity (OIDC) AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN: "
        + status("AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN"),
        f"{named} in {_files(environ)}: {in_files}",
        "container credentials (ECS, EKS) AWS_CONTAINER_CREDENTIALS_RELATIVE_URI or "
        "AWS_CONTAINER_CREDENTIALS_FULL_URI: "
        + status("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI"),
        f"EC2 instance metadata: {metadata}",
    ]


def _profiles(session: Session) -> Mapping[str, object]:
    try:
        profiles: Mapping[str, object] = session.full_config.get("profiles", {})
    except BotoCoreError:
        return {}
    return profiles


def _files(environ: Mapping[str, str], joint: str = "and") -> str:
    credentials = environ.get("AWS_SHARED_CREDENTIALS_FILE") or DEFAULT_CREDENTIALS_FILE
    config = environ.get("AWS_CONFIG_FILE") or DEFAULT_CONFIG_FILE
    return f"{credentials} {joint} {config}"
