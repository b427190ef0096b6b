from __future__ import annotations

import pytest

from launchdeck.awsdeploy.layout import deployed, layout
from launchdeck.drivers.aws.clients import Stack
from launchdeck.drivers.aws.errors import OutputMissing, StackMissing
from tests.unit.aws_deploy.fakes import World


def test_layout_reads_each_service_from_its_titled_outputs() -> None:
    outputs = {
        "ClusterName": "shop-prod",
        "Url": "https://shop.example",
        "ApiV2ServiceName": "svc",
        "ApiV2TaskFamily": "fam",
        "ApiV2LogGroup": "/lg",
    }
    found = layout(
        Stack("launchdeck-shop-prod", "id", "UPDATE_COMPLETE", outputs=outputs), ["api-v2"]
    )

    assert found.cluster == "shop-prod" and found.url == "https://shop.example"
    lay = found.services["api-v2"]
    assert (lay.name, lay.family, lay.log_group) == ("svc", "fam", "/lg")


def test_a_missing_service_output_is_named() -> None:
    stack = Stack("launchdeck-shop-prod", "id", "UPDATE_COMPLETE", outputs={"ClusterName": "c"})

    with pytest.raises(OutputMissing) as missing:
        layout(stack, ["web"])

    assert (missing.value.message, missing.value.fix) == (
        "stack launchdeck-shop-prod has no output WebServiceName: its template predates this "
        "launchdeck or was written by hand",
        "synthesize it again (launchdeck aws synth) and deploy",
    )


def test_an_environment_never_deployed_has_no_stack() -> None:
    with pytest.raises(StackMissing) as missing:
        deployed(World().stacks, "shop", "staging")

    assert (missing.value.message, missing.value.fix) == (
        "stack launchdeck-shop-staging does not exist: staging was never deployed",
        "deploy staging first (launchdeck aws deploy --env staging --image ...)",
    )
