"""`Parameters`: SSM Parameter Store values launchdeck keeps beside the stacks."""

from __future__ import annotations

from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from launchdeck.drivers.aws.clients._calls import calling, error_code

if TYPE_CHECKING:
    from mypy_boto3_ssm.client import SSMClient

SERVICE = "ssm"


class Parameters:
    def __init__(self, client: SSMClient) -> None:
        self._ssm = client

    def get(self, name: str) -> str | None:
        with calling(SERVICE, "GetParameter"):
            try:
                found = self._ssm.get_parameter(Name=name)
            except ClientError as exc:
                if error_code(exc) == "ParameterNotFound":
                    return None
                raise
        return found["Parameter"].get("Value")

    def put(self, name: str, value: str) -> None:
        with calling(SERVICE, "PutParameter"):
            self._ssm.put_parameter(Name=name, Value=value, Type="String", Overwrite=True)

    def delete(self, name: str) -> None:
        """Deleting a parameter that is already gone is fine."""
        with calling(SERVICE, "DeleteParameter"):
            try:
                self._ssm.delete_parameter(Name=name)
            except ClientError as exc:
                if error_code(exc) != "ParameterNotFound":
                    raise
