"""The commercial AWS regions launchdeck can deploy to: usable AZs and ELB log delivery.

`azs` is the number of Availability Zones a new account can use (us-west-1 shows new accounts 2;
ap-northeast-1 3 of its 4). `elb_account` is the Elastic Load Balancing account that writes
access logs in regions opened before August 2022; newer regions use the service principal
logdelivery.elasticloadbalancing.amazonaws.com instead.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Region:
    code: str
    name: str
    azs: int
    elb_account: str | None = None


_REGIONS = (
    Region("us-east-1", "US East (N. Virginia)", 6, "127311923021"),
    Region("us-east-2", "US East (Ohio)", 3, "033677994240"),
    Region("us-west-1", "US West (N. California)", 2, "027434742980"),
    Region("us-west-2", "US West (Oregon)", 4, "797873946194"),
    Region("af-south-1", "Africa (Cape Town)", 3, "098369216593"),
    Region("ap-east-1", "Asia Pacific (Hong Kong)", 3, "754344448648"),
    Region("ap-east-2", "Asia Pacific (Taipei)", 3),
    Region("ap-south-1", "Asia Pacific (Mumbai)", 3, "718504428378"),
    Region("ap-south-2", "Asia Pacific (Hyderabad)", 3),
    Region("ap-southeast-1", "Asia Pacific (Singapore)", 3, "114774131450"),
    Region("ap-southeast-2", "Asia Pacific (Sydney)", 3, "783225319266"),
    Region("ap-southeast-3", "Asia Pacific (Jakarta)", 3, "589379963580"),
    Region("ap-southeast-4", "Asia Pacific (Melbourne)", 3),
    Region("ap-southeast-5", "Asia Pacific (Malaysia)", 3),
    Region("ap-southeast-7", "Asia Pacific (Thailand)", 3),
    Region("ap-northeast-1", "Asia Pacific (Tokyo)", 3, "582318560864"),
    Region("ap-northeast-2", "Asia Pacific (Seoul)", 4, "600734575887"),
    Region("ap-northeast-3", "Asia Pacific (Osaka)", 3, "383597477331"),
    Region("ca-central-1", "Canada (Central)", 3, "985666609251"),
    Region("ca-west-1", "Canada West (Calgary)", 3),
    Region("eu-central-1", "Europe (Frankfurt)", 3, "054676820928"),
    Region("eu-central-2", "Europe (Zurich)", 3),
    Region("eu-west-1", "Europe (Ireland)", 3, "156460612806"),
    Region("eu-west-2", "Europe (London)", 3, "652711504416"),
    Region("eu-west-3", "Europe (Paris)", 3, "009996457667"),
    Region("eu-south-1", "Europe (Milan)", 3, "635631232127"),
    Region("eu-south-2", "Europe (Spain)", 3),
    Region("eu-north-1", "Europe (Stockholm)", 3, "897822967062"),
    Region("il-central-1", "Israel (Tel Aviv)", 3),
    Region("me-south-1", "Middle East (Bahrain)", 3, "076674570225"),
    Region("me-central-1", "Middle East (UAE)", 3),
    Region("mx-central-1", "Mexico (Central)", 3),
    Region("sa-east-1", "South America (Sao Paulo)", 3, "507241528517"),
)
REGIONS: dict[str, Region] = {region.code: region for region in _REGIONS}


def region(code: str) -> Region | None:
    return REGIONS.get(code)
