"""Names users and the deploy side see: stacks, clusters, task families, log groups, logical IDs.

These are a contract (docs/aws.md): `launchdeck aws deploy/logs/status` find resources by them.
"""

from __future__ import annotations

from launchdeck.domain import Manifest

PRODUCTION = "production"
CONTAINER_PORT = 8080  # every routed container listens here; it gets it as $PORT


def title(name: str) -> str:
    """A service name as a CloudFormation logical ID part: `api-v2` -> `ApiV2`."""
    return "".join(part.capitalize() for part in name.split("-"))


def stack_names(app: str, env: str) -> tuple[str, str]:
    """(shared stack, environment stack)."""
    return f"launchdeck-{app}", f"launchdeck-{app}-{env}"


def cluster_name(app: str, env: str) -> str:
    return f"launchdeck-{app}-{env}"


def task_family(app: str, env: str, service: str) -> str:
    return f"launchdeck-{app}-{env}-{service}"


def log_group_name(app: str, env: str, service: str) -> str:
    return f"/launchdeck/{app}/{env}/{service}"


def repository_name(app: str, service: str) -> str:
    return f"launchdeck/{app}/{service}"


def parameter_prefix(app: str, env: str) -> str:
    """Where the environment's secrets live in SSM Parameter Store."""
    return f"/launchdeck/{app}/{env}"


def role_path(app: str) -> str:
    """Every IAM role of the app lives under this path, so one PassRole grant covers them."""
    return f"/launchdeck/{app}/"


def slack_secret_name(manifest: Manifest, app: str) -> str:
    return manifest.aws.slack_webhook_secret or f"launchdeck/{app}/slack-webhook"


def env_domain(manifest: Manifest, env: str) -> str | None:
    """The environment's domain: its own `aws.domain`, production's, or `<env>.<domain>`."""
    override = manifest.environments.get(env)
    if override is not None and override.aws.domain:
        return override.aws.domain
    base = manifest.aws.domain
    if base is None or env == PRODUCTION:
        return base
    return f"{env}.{base}"


def database_name(app: str) -> str:
    return app.replace("-", "_")
