"""The GitHub Actions workflow `launchdeck aws ci github` writes.

Build once, push by digest, deploy staging, promote the same digest to production after a person
approves. The approval is GitHub's own: the `production` job runs in the `production` GitHub
environment, and a required reviewer on that environment holds it until someone approves.
Credentials come from GitHub's OIDC token through the deploy role the shared stack creates; no
long-lived AWS keys are stored in GitHub.
"""

from __future__ import annotations

from collections.abc import Sequence

WORKFLOW_PATH = ".github/workflows/launchdeck.yml"
ROLE_VARIABLE = "LAUNCHDECK_DEPLOY_ROLE_ARN"  # a repository variable: the shared stack's output
INSTALL_VARIABLE = "LAUNCHDECK_PIP_SPEC"  # what `pip install` takes to get this launchdeck
DEFAULT_INSTALL = "launchdeck==0.1.0"


def github_workflow(
    app: str, services: Sequence[str], region: str, *, branch: str = "main", python: str = "3.11"
) -> str:
    """The workflow text; every service's repository gets the one image, by digest."""
    if not services:
        raise ValueError("services: at least one is needed to build an image for")
    repo = f"${{{{ steps.ecr.outputs.registry }}}}/launchdeck/{app}"
    tags = "\n".join(
        f"            {repo}/{s}:${{{{ github.sha }}}}-${{{{ github.run_attempt }}}}"
        for s in services
    )
    setup = _setup_steps(region, python)
    image = "${{ needs.build.outputs.image }}"
    return f"""\
# Written by `launchdeck aws ci github`. Set the repository variable {ROLE_VARIABLE} to the
# shared stack's DeployRoleArn output, and add required reviewers to the `production` GitHub
# environment: that is the manual approval before a promotion.
name: launchdeck

on:
  push:
    branches: [{branch}]
  workflow_dispatch:

permissions:
  id-token: write  # OIDC: GitHub's token is exchanged for the deploy role, no stored keys
  contents: read

jobs:
  build:
    runs-on: ubuntu-latest
    outputs:
      image: {repo}/{services[0]}@${{{{ steps.push.outputs.digest }}}}
    steps:
      - uses: actions/checkout@v4
      - uses: aws-actions/configure-aws-credentials@v4
        with:
          role-to-assume: ${{{{ vars.{ROLE_VARIABLE} }}}}
          aws-region: {region}
      - id: ecr
        uses: aws-actions/amazon-ecr-login@v2
      - uses: docker/setup-buildx-action@v3
      - id: push
        uses: docker/build-push-action@v6
        with:
          context: .
          push: true
          provenance: false
          tags: |
{tags}

  staging:
    needs: build
    runs-on: ubuntu-latest
    environment: staging
    concurrency: {{group: launchdeck-{app}-staging, cancel-in-progress: false}}
    steps:
{setup}
      - run: launchdeck aws deploy --app {app} --env staging --image "{image}" --yes

  production:
    needs: staging
    runs-on: ubuntu-latest
    environment: production  # required reviewers on this environment = the manual approval
    concurrency: {{group: launchdeck-{app}-production, cancel-in-progress: false}}
    steps:
{setup}
      - run: launchdeck aws promote --app {app} --from staging --to production --yes
"""


def _setup_steps(region: str, python: str) -> str:
    return f"""\
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "{python}"
      - run: pip install "${{{{ vars.{INSTALL_VARIABLE} || '{DEFAULT_INSTALL}' }}}}"
      - uses: aws-actions/configure-aws-credentials@v4
        with:
          role-to-assume: ${{{{ vars.{ROLE_VARIABLE} }}}}
          aws-region: {region}"""
