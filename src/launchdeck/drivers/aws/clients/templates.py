"""`Templates`: stack templates too big to send inline (CloudFormation takes 51,200 bytes in a
request, 1 MB from S3), put in the app's template bucket for a change set to read."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from launchdeck.drivers.aws.clients._calls import calling

if TYPE_CHECKING:
    from mypy_boto3_s3.client import S3Client

SERVICE = "s3"


class Templates:
    def __init__(self, client: S3Client) -> None:
        self._s3 = client

    def put(self, bucket: str, stack: str, template: str) -> str:
        """The template stored under `<stack>/<sha256>.json`; its https URL, as TemplateURL
        takes it (the same template is the same object)."""
        body = template.encode()
        key = f"{stack}/{hashlib.sha256(body).hexdigest()}.json"
        with calling(SERVICE, "PutObject"):
            self._s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType="application/json")
        region = self._s3.meta.region_name
        return f"https://{bucket}.s3.{region}.amazonaws.com/{key}"
