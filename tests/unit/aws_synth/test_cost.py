from __future__ import annotations

import pytest

from launchdeck.drivers.aws.cost import available_regions, estimate, load_prices, nat_saving
from launchdeck.drivers.aws.errors import NoPriceTable
from launchdeck.manifest import parse_manifest
from tests.unit.aws_synth.variants import manifest

PRICES = load_prices("us-east-1")


def lines(name: str, env: str) -> dict[str, float]:
    report = estimate(manifest(name), env, PRICES)
    return {line.item: line.monthly for line in report.lines}


def test_the_price_table_names_its_region_and_date() -> None:
    assert PRICES["region"] == "us-east-1" and PRICES["date"] == "2026-11"
    assert available_regions() == ["us-east-1"]


def test_arithmetic_of_a_web_only_app() -> None:
    got = lines("web", "staging")
    assert got["NAT gateways"] == round(2 * 0.045 * 730 + 20 * 0.045, 2)  # 66.6
    assert got["public IPv4 addresses"] == round(4 * 0.005 * 730, 2)
    assert got["load balancer"] == round(0.0225 * 730 + 0.008 * 730, 2)
    assert got["Fargate: web"] == round(730 * (0.25 * 0.04048 + 0.5 * 0.004445), 2)
    assert got["CloudWatch Logs"] == round(5 * 0.5 + 5 * 0.03, 2)
    assert got["KMS key and secrets"] == 1.0
    assert "bastion" not in got and "CloudFront" not in got


def test_production_doubles_the_database_and_counts_every_task() -> None:
    got = lines("full", "production")
    assert got["RDS db.t4g.small"] == round(2 * 730 * 0.032, 2)
    assert got["RDS storage"] == round(2 * 20 * 0.115, 2)
    assert got["ElastiCache cache.t4g.micro"] == round(2 * 730 * 0.016, 2)
    assert got["Fargate: web"] == round(3 * 730 * (0.5 * 0.04048 + 1 * 0.004445), 2)
    assert got["NAT gateways"] == round(3 * 0.045 * 730 + 20 * 0.045, 2)
    assert got["bastion"] == round(0.0042 * 730 + 8 * 0.08, 2)


def test_total_is_the_sum_and_every_line_says_its_assumption() -> None:
    report = estimate(manifest("cdn"), "production", PRICES)
    assert report.total == round(sum(line.monthly for line in report.lines), 2)
    assert all(line.assumption for line in report.lines)
    cloudfront = next(line for line in report.lines if line.item == "CloudFront")
    assert cloudfront.monthly == round(50 * 0.085 + 100 * 0.01, 2)
    assert report.text().splitlines()[0] == (
        "production: estimated monthly cost in us-east-1 (prices of 2026-11)"
    )
    assert report.text().splitlines()[-1].startswith("total")


def test_an_unpriced_instance_class_is_said_and_not_counted() -> None:
    text = 'app = "a"\n[services.web]\ncommand = "x"\nport = true\n[addons.postgres]\n'
    m = parse_manifest(text + '[aws]\ndb_instance = "db.x9.huge"\n')
    line = next(line for line in estimate(m, "staging", PRICES).lines if "RDS db" in line.item)
    assert (line.monthly, line.assumption) == (0.0, "not in the price table; not counted")


def test_a_region_without_prices_names_the_ones_with() -> None:
    with pytest.raises(NoPriceTable) as caught:
        estimate(manifest("full"), "production")
    assert str(caught.value) == (
        "aws.region: no price table for 'eu-west-1'; cost estimates exist for: us-east-1; "
        "fix: estimate with one of those regions, or add "
        "src/launchdeck/drivers/aws/prices/eu-west-1.json"
    )


def test_single_nat_saving() -> None:
    assert nat_saving(PRICES, 3) == round(2 * (0.045 + 0.005) * 730, 2)  # 73.0
