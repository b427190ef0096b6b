from launchdeck.drivers.aws.regions import REGIONS, region


def test_regions_have_their_usable_azs() -> None:
    assert region("us-west-1") is not None and REGIONS["us-west-1"].azs == 2
    assert REGIONS["us-east-1"].azs == 6 and REGIONS["ca-west-1"].azs == 3
    assert all(entry.azs >= 2 for entry in REGIONS.values())
    assert region("us-east-9") is None


def test_old_regions_name_their_elb_log_account() -> None:
    assert REGIONS["us-east-1"].elb_account == "127311923021"
    assert REGIONS["eu-west-1"].elb_account == "156460612806"
    assert REGIONS["ca-west-1"].elb_account is None  # newer: the service principal writes logs
