"""Names only synthesis needs, read from the manifest: the production environment, domains, the
Slack secret, the database. The names the deploy side looks for too are in drivers/aws/names.py.
"""

from __future__ import annotations

from launchdeck.domain import Manifest

PRODUCTION = "production"
CONTAINER_PORT = 8080  # every routed container listens here; it gets it as $PORT


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
