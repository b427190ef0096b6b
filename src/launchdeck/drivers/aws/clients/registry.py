"""`Registry`: ECR, asked whether an image is in a repository by digest."""

from __future__ import annotations

from enum import Enum
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from launchdeck.drivers.aws.clients._calls import calling, error_code

if TYPE_CHECKING:
    from mypy_boto3_ecr.client import ECRClient

SERVICE = "ecr"


class ImagePresence(Enum):
    PRESENT = "present"
    MISSING = "missing"  # the repository exists, the image is not in it
    NO_REPOSITORY = "no repository"


class Registry:
    def __init__(self, client: ECRClient) -> None:
        self._ecr = client

    def image(self, repository: str, digest: str) -> ImagePresence:
        with calling(SERVICE, "DescribeImages"):
            try:
                self._ecr.describe_images(
                    repositoryName=repository, imageIds=[{"imageDigest": digest}]
                )
            except ClientError as exc:
                match error_code(exc):
                    case "ImageNotFoundException":
                        return ImagePresence.MISSING
                    case "RepositoryNotFoundException":
                        return ImagePresence.NO_REPOSITORY
                raise
        return ImagePresence.PRESENT

    def has_image(self, repository: str, digest: str) -> bool:
        return self.image(repository, digest) is ImagePresence.PRESENT
