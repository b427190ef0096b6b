"""The AWS driver's exceptions and the AwsIssue values they carry.

AwsError                  anything the AWS driver raises on purpose
+-- AwsSynthError         the manifest cannot be synthesized for AWS; `issues` says why
+-- NoPriceTable          no price table for the region; names the regions that have one
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from launchdeck.manifest import Issue


@dataclass(frozen=True)
class AwsIssue(Issue):
    """A manifest problem only AWS cares about (same shape and text as a manifest Issue)."""


class AwsError(Exception):
    """Base of the AWS driver's deliberate errors."""


class AwsSynthError(AwsError):
    """The manifest cannot become CloudFormation; every problem found is listed."""

    def __init__(self, issues: Iterable[AwsIssue], *, source: str = "launchdeck.toml") -> None:
        self.issues = list(issues)
        self.source = source
        super().__init__("\n".join(f"{source}: {issue}" for issue in self.issues))


class NoPriceTable(AwsError):
    def __init__(self, region: str, available: Iterable[str]) -> None:
        self.region = region
        self.available = sorted(available)
        super().__init__(
            f"aws.region: no price table for {region!r}; cost estimates exist for: "
            f"{', '.join(self.available)}; fix: estimate with one of those regions, or add "
            f"src/launchdeck/drivers/aws/prices/{region}.json"
        )
