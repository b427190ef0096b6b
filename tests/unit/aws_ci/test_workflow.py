from __future__ import annotations

import pytest

from launchdeck.drivers.aws.workflow import github_workflow

yaml = pytest.importorskip("yaml")  # PyYAML comes with cfn-lint in the dev dependencies


def workflow() -> dict:
    loaded = yaml.safe_load(github_workflow("shop", ["web", "worker"], "eu-west-1"))
    assert isinstance(loaded, dict)
    return loaded


def test_pushes_to_main_build_once_and_deploy_staging_then_an_approved_promotion() -> None:
    flow = workflow()
    assert flow[True] == {"push": {"branches": ["main"]}, "workflow_dispatch": None}  # `on:`
    assert flow["permissions"] == {"id-token": "write", "contents": "read"}
    jobs = flow["jobs"]
    assert list(jobs) == ["build", "staging", "production"]
    assert jobs["staging"]["needs"] == "build" and jobs["staging"]["environment"] == "staging"
    assert jobs["production"]["needs"] == "staging"
    assert jobs["production"]["environment"] == "production"
    assert jobs["staging"]["steps"][-1]["run"] == (
        'launchdeck aws deploy --app shop --env staging --image "${{ needs.build.outputs.image }}" --yes'
    )
    assert jobs["production"]["steps"][-1]["run"] == (
        "launchdeck aws promote --app shop --from staging --to production --yes"
    )


def test_the_image_goes_to_every_service_repository_and_leaves_by_digest() -> None:
    build = workflow()["jobs"]["build"]
    push = next(s for s in build["steps"] if s.get("id") == "push")
    tags = push["with"]["tags"].split("\n")[:-1]
    assert [t.split(":")[0].rsplit("/", 1)[1] for t in tags] == ["web", "worker"]
    assert build["outputs"]["image"].endswith(
        "/launchdeck/shop/web@${{ steps.push.outputs.digest }}"
    )


def test_credentials_come_from_oidc_not_stored_keys() -> None:
    text = github_workflow("shop", ["web"], "us-east-1")
    assert "aws-access-key-id" not in text and "secrets." not in text
    for job in yaml.safe_load(text)["jobs"].values():
        creds = next(s for s in job["steps"] if "configure-aws-credentials" in s.get("uses", ""))
        assert creds["with"] == {
            "role-to-assume": "${{ vars.LAUNCHDECK_DEPLOY_ROLE_ARN }}",
            "aws-region": "us-east-1",
        }


def test_an_app_without_services_has_nothing_to_build() -> None:
    with pytest.raises(ValueError, match="services: at least one"):
        github_workflow("shop", [], "us-east-1")
