"""A monthly cost estimate for one environment, from a price table in prices/<region>.json.

Every line says what it assumes (traffic, hours, counts); nothing here calls AWS. The table
names its region and the month its prices were read, so a stale estimate shows its age.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from typing import Any

from launchdeck.domain import Manifest
from launchdeck.drivers.aws.errors import NoPriceTable
from launchdeck.drivers.aws.fargate import task_size
from launchdeck.drivers.aws.synth.naming import PRODUCTION

BASTION = "t4g.nano"
BASTION_DISK_GB = 8


@dataclass(frozen=True)
class CostLine:
    item: str
    monthly: float  # USD
    assumption: str


@dataclass(frozen=True)
class CostReport:
    region: str
    date: str  # when the prices were read, e.g. "2026-11"
    env: str
    lines: tuple[CostLine, ...]

    @property
    def total(self) -> float:
        return round(sum(line.monthly for line in self.lines), 2)

    def text(self) -> str:
        width = max(len(line.item) for line in self.lines)
        rows = [
            f"{line.item:<{width}}  ${line.monthly:>9,.2f}  {line.assumption}"
            for line in self.lines
        ]
        head = f"{self.env}: estimated monthly cost in {self.region} (prices of {self.date})"
        return "\n".join([head, *rows, f"{'total':<{width}}  ${self.total:>9,.2f}"])


def available_regions() -> list[str]:
    folder = resources.files("launchdeck.drivers.aws") / "prices"
    return sorted(
        entry.name.removesuffix(".json")
        for entry in folder.iterdir()
        if entry.name.endswith(".json")
    )


def load_prices(region: str) -> dict[str, Any]:
    """The price table of `region`; NoPriceTable names the regions that have one."""
    path = resources.files("launchdeck.drivers.aws") / "prices" / f"{region}.json"
    if not path.is_file():
        raise NoPriceTable(region, available_regions())
    table: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return table


def estimate(manifest: Manifest, env: str, prices: dict[str, Any] | None = None) -> CostReport:
    merged = manifest.for_env(env)
    aws = merged.aws
    p = prices if prices is not None else load_prices(aws.region)
    hours = p["hours_per_month"]
    lines = [
        *_network(p, aws.azs, aws.nat, hours),
        *_edge(p, aws.azs, aws.cloudfront is not None, hours),
        *_compute(p, merged, hours),
        *_data(p, merged, env == PRODUCTION, hours),
        *_operations(p, merged, hours),
    ]
    return CostReport(p["region"], p["date"], env, tuple(lines))


def _line(item: str, monthly: float, assumption: str) -> CostLine:
    return CostLine(item, round(monthly, 2), assumption)


def _network(p: dict[str, Any], azs: int, nat: str, hours: int) -> list[CostLine]:
    count = azs if nat == "per-az" else 1
    gb = p["assumptions"]["nat_gb_month"]
    return [
        _line(
            "NAT gateways",
            count * p["nat_gateway_hour"] * hours + gb * p["nat_gateway_gb"],
            f"{count} x {hours} h at ${p['nat_gateway_hour']}/h, plus {gb} GB processed "
            f"at ${p['nat_gateway_gb']}/GB",
        ),
        _line(
            "public IPv4 addresses",
            (count + azs) * p["public_ipv4_hour"] * hours,
            f"{count} NAT + {azs} load balancer addresses at ${p['public_ipv4_hour']}/h",
        ),
    ]


def _edge(p: dict[str, Any], azs: int, cdn: bool, hours: int) -> list[CostLine]:
    lcu = p["assumptions"]["alb_lcu"]
    lines = [
        _line(
            "load balancer",
            p["alb_hour"] * hours + lcu * p["alb_lcu_hour"] * hours,
            f"{hours} h at ${p['alb_hour']}/h, plus {lcu} LCU on average at "
            f"${p['alb_lcu_hour']}/LCU-h",
        )
    ]
    if cdn:
        gb = p["assumptions"]["cloudfront_gb_month"]
        requests = p["assumptions"]["cloudfront_requests_month"]
        lines.append(
            _line(
                "CloudFront",
                gb * p["cloudfront_gb"] + requests / 10_000 * p["cloudfront_10k_https_requests"],
                f"{gb} GB out at ${p['cloudfront_gb']}/GB and {requests:,} HTTPS requests at "
                f"${p['cloudfront_10k_https_requests']}/10k",
            )
        )
    return lines


def _compute(p: dict[str, Any], merged: Manifest, hours: int) -> list[CostLine]:
    lines = []
    for spec in merged.services.values():
        size = task_size(spec.resources.cpu, spec.resources.memory)
        # Autoscaled, the estimate is the floor: `min` tasks, what it costs when quiet.
        count = spec.autoscale.min if spec.autoscale is not None else spec.scale.count
        gb = size.memory_mib / 1024
        monthly = count * hours * (size.vcpu * p["fargate_vcpu_hour"] + gb * p["fargate_gb_hour"])
        lines.append(
            _line(
                f"Fargate: {spec.name}",
                monthly,
                f"{count} task(s) x {hours} h of {size.vcpu:g} vCPU at "
                f"${p['fargate_vcpu_hour']}/vCPU-h + {gb:g} GB at ${p['fargate_gb_hour']}/GB-h",
            )
        )
    return lines


def _data(p: dict[str, Any], merged: Manifest, production: bool, hours: int) -> list[CostLine]:
    aws, lines = merged.aws, []
    if merged.addons.postgres is not None:
        copies = 2 if production else 1
        rate = p["rds_instance_hour"].get(aws.db_instance)
        note = "Multi-AZ doubles it" if production else "single-AZ"
        lines.append(
            _priced(
                f"RDS {aws.db_instance}", rate, copies * hours, f"{copies} x {hours} h ({note})"
            )
        )
        storage = copies * aws.db_storage_gb * p["rds_gp3_gb_month"]
        lines.append(
            _line(
                "RDS storage",
                storage,
                f"{copies} x {aws.db_storage_gb} GB gp3 at ${p['rds_gp3_gb_month']}/GB-month",
            )
        )
    if merged.addons.redis is not None:
        nodes = 2 if production else 1
        rate = p["elasticache_node_hour"].get(aws.cache_node)
        lines.append(
            _priced(
                f"ElastiCache {aws.cache_node}", rate, nodes * hours, f"{nodes} node(s) x {hours} h"
            )
        )
    return lines


def _priced(item: str, rate: float | None, hours: float, assumption: str) -> CostLine:
    if rate is None:
        return _line(item, 0.0, "not in the price table; not counted")
    return _line(item, rate * hours, f"{assumption} at ${rate}/h")


def _operations(p: dict[str, Any], merged: Manifest, hours: int) -> list[CostLine]:
    gb = p["assumptions"]["logs_gb_month"]
    has_data = merged.addons.postgres is not None or merged.addons.redis is not None
    secrets = (1 if merged.addons.postgres else 0) + (2 if merged.addons.redis else 0)
    lines = [
        _line(
            "CloudWatch Logs",
            gb * p["logs_ingest_gb"] + gb * p["logs_store_gb_month"],
            f"{gb} GB ingested at ${p['logs_ingest_gb']}/GB and stored at "
            f"${p['logs_store_gb_month']}/GB-month",
        ),
        _line(
            "KMS key and secrets",
            p["kms_key_month"] + secrets * p["secret_month"],
            f"1 key at ${p['kms_key_month']}/month, {secrets} Secrets Manager secret(s) at "
            f"${p['secret_month']}/month",
        ),
    ]
    if has_data:
        rate = p["ec2_instance_hour"][BASTION]
        disk = BASTION_DISK_GB * p["ebs_gp3_gb_month"]
        lines.append(
            _line(
                "bastion",
                rate * hours + disk,
                f"{BASTION} x {hours} h at ${rate}/h + {BASTION_DISK_GB} GB gp3",
            )
        )
    return lines


def nat_saving(prices: dict[str, Any], azs: int) -> float:
    """What `nat = "single"` saves a month over per-AZ NAT gateways (hours and addresses)."""
    hourly = float(prices["nat_gateway_hour"]) + float(prices["public_ipv4_hour"])
    per_nat = hourly * float(prices["hours_per_month"])
    return round((azs - 1) * per_nat, 2)


__all__ = ["CostLine", "CostReport", "available_regions", "estimate", "load_prices", "nat_saving"]
