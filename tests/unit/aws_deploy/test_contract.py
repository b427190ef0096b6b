from __future__ import annotations

import pytest

from launchdeck.controlplane.aws.contract import (
    env_stack,
    layout,
    repository,
    rollback_record,
    shared_stack,
    title,
)
from launchdeck.drivers.aws.clients import Stack
from launchdeck.drivers.aws.faults import OutputMissing


@pytest.mark.parametrize(
    ("service", "expected"),
    [
        ("web", "Web"),
        ("api-v2", "ApiV2"),
        ("big_worker", "BigWorker"),
        ("apiV2", "ApiV2"),
    ],
)
def test_a_service_title(service: str, expected: str) -> None:
    assert title(service) == expected


def test_names_synthesis_and_the_use_cases_share() -> None:
    assert shared_stack("shop") == "launchdeck-shop"
    assert env_stack("shop", "staging") == "launchdeck-shop-staging"
    assert repository("shop", "api-v2") == "launchdeck/shop/api-v2"
    assert rollback_record("shop", "production") == "/launchdeck/shop/production/rolled-back-to"


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

    with pytest.raises(OutputMissing, match="has no output WebServiceName"):
        layout(stack, ["web"])
