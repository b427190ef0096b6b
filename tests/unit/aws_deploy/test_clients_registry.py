from __future__ import annotations

from datetime import UTC, datetime

import pytest

from launchdeck.drivers.aws.clients import ImagePresence, Registry
from launchdeck.drivers.aws.errors import AwsCallFailed

DIGEST = "sha256:" + "c" * 64
QUERY = {"repositoryName": "launchdeck/shop/web", "imageIds": [{"imageDigest": DIGEST}]}


def test_an_image_in_the_repository(stubbed) -> None:
    client, stub = stubbed("ecr")
    stub.add_response(
        "describe_images",
        {
            "imageDetails": [
                {
                    "registryId": "123456789012",
                    "repositoryName": "launchdeck/shop/web",
                    "imageDigest": DIGEST,
                    "imagePushedAt": datetime(2024, 5, 1, tzinfo=UTC),
                }
            ]
        },
        QUERY,
    )

    assert Registry(client).has_image("launchdeck/shop/web", DIGEST)


@pytest.mark.parametrize(
    ("code", "presence"),
    [
        ("ImageNotFoundException", ImagePresence.MISSING),
        ("RepositoryNotFoundException", ImagePresence.NO_REPOSITORY),
    ],
)
def test_a_missing_image_or_repository(stubbed, code: str, presence: ImagePresence) -> None:
    client, stub = stubbed("ecr")
    stub.add_client_error("describe_images", code, "not found", expected_params=QUERY)

    assert Registry(client).image("launchdeck/shop/web", DIGEST) is presence


def test_other_errors_are_not_taken_for_a_missing_image(stubbed) -> None:
    client, stub = stubbed("ecr")
    stub.add_client_error("describe_images", "ThrottlingException", "Rate exceeded")

    with pytest.raises(AwsCallFailed, match="ecr DescribeImages failed: ThrottlingException"):
        Registry(client).image("launchdeck/shop/web", DIGEST)
