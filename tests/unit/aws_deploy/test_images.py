from __future__ import annotations

import pytest

from launchdeck.drivers.aws.errors import ImageByTag, InvalidImage
from launchdeck.drivers.aws.images import ImageRef, parse_image

DIGEST = "sha256:" + "0123456789abcdef" * 4
ECR = "123456789012.dkr.ecr.us-east-1.amazonaws.com"


def test_an_image_by_digest() -> None:
    ref = parse_image(f"{ECR}/launchdeck/shop/web@{DIGEST}")

    assert ref == ImageRef(DIGEST, ECR, "launchdeck/shop/web")
    assert str(ref) == f"{ECR}/launchdeck/shop/web@{DIGEST}"


def test_a_bare_digest() -> None:
    assert parse_image(DIGEST) == ImageRef(DIGEST)


def test_a_tag_beside_the_digest_is_dropped_the_digest_decides() -> None:
    assert parse_image(f"localhost:5000/shop:v1@{DIGEST}") == ImageRef(
        DIGEST, "localhost:5000", "shop"
    )


def test_a_tag_is_refused_with_why_and_how_to_get_the_digest() -> None:
    with pytest.raises(ImageByTag) as refused:
        parse_image(f"{ECR}/launchdeck/shop/web:v1")

    assert (refused.value.message, refused.value.fix) == (
        f"--image '{ECR}/launchdeck/shop/web:v1' names a tag, not a digest; launchdeck deploys "
        "images by digest only.\n"
        "A tag can move to other bytes at any time: promote must ship the exact bytes that ran on "
        "staging, and ECS may resolve a tag differently for each task it starts.",
        "give the image as <registry>/<repository>@sha256:<64 hex digits>, e.g. "
        "123456789012.dkr.ecr.us-east-1.amazonaws.com/launchdeck/shop/web@sha256:<digest>\n"
        "Get the digest with:\n"
        f"  docker buildx imagetools inspect {ECR}/launchdeck/shop/web:v1    (the Digest: line)\n"
        "  aws ecr describe-images --repository-name launchdeck/shop/web --image-ids imageTag=v1 "
        "--query 'imageDetails[0].imageDigest'",
    )


def test_latest_without_a_registry_is_a_tag_too() -> None:
    with pytest.raises(ImageByTag) as refused:
        parse_image("shop:latest")

    lines = str(refused.value).splitlines()
    assert (
        lines[0]
        == "--image 'shop:latest' names a tag, not a digest; launchdeck deploys images by digest only."
    )
    assert lines[-2:] == [
        "  docker buildx imagetools inspect shop:latest    (the Digest: line)",
        "  aws ecr describe-images --repository-name shop --image-ids imageTag=latest "
        "--query 'imageDetails[0].imageDigest'",
    ]


def test_a_port_is_not_a_tag() -> None:
    with pytest.raises(ImageByTag) as refused:
        parse_image("localhost:5000/shop")

    assert "docker buildx imagetools inspect localhost:5000/shop    (the Digest: line)" in str(
        refused.value
    )
    assert "--image-ids imageTag=latest" in str(refused.value)


GIVE = "give the image as <registry>/<repository>@sha256:<64 hex digits>"


@pytest.mark.parametrize(
    ("text", "message", "fix"),
    [
        ("", "--image is empty", GIVE),
        (
            f"shop@{DIGEST}",
            f"--image 'shop@{DIGEST}' names no registry",
            f"{GIVE}, e.g. "
            "123456789012.dkr.ecr.us-east-1.amazonaws.com/launchdeck/shop/web@sha256:<digest>",
        ),
        (
            f"{ECR}/shop@sha256:abc",
            f"--image '{ECR}/shop@sha256:abc': the digest has 3 characters after sha256:, not 64 "
            "lowercase hex digits",
            GIVE,
        ),
        (
            f"{ECR}/shop@sha512:{'a' * 128}",
            f"--image '{ECR}/shop@sha512:{'a' * 128}': the digest uses 'sha512'; launchdeck takes "
            "sha256 digests",
            GIVE,
        ),
        (
            "sha256:" + "A" * 64,
            f"--image 'sha256:{'A' * 64}': the digest has 64 characters after sha256:, not 64 "
            "lowercase hex digits",
            GIVE,
        ),
    ],
)
def test_malformed_images(text: str, message: str, fix: str) -> None:
    with pytest.raises(InvalidImage) as refused:
        parse_image(text)

    assert (refused.value.message, refused.value.fix) == (message, fix)
    assert not isinstance(refused.value, ImageByTag)
