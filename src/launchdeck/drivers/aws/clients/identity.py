"""`Identity`: who the credentials belong to (STS)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from launchdeck.drivers.aws.clients._calls import calling

if TYPE_CHECKING:
    from mypy_boto3_sts.client import STSClient

SERVICE = "sts"


@dataclass(frozen=True)
class Caller:
    account: str
    arn: str


class Identity:
    def __init__(self, client: STSClient) -> None:
        self._sts = client

    def caller(self) -> Caller:
        with calling(SERVICE, "GetCallerIdentity"):
            found = self._sts.get_caller_identity()
        return Caller(account=found.get("Account", ""), arn=found.get("Arn", ""))

    def account_id(self) -> str:
        return self.caller().account
