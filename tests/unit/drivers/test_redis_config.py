from __future__ import annotations

from pathlib import Path

from launchdeck.drivers.local.redis.server import RedisPaths, acl_rules, render_acl, render_config

PATHS = RedisPaths(Path("/srv/ld/addons/redis"))


def test_the_config_is_loopback_password_and_aof() -> None:
    lines = render_config(PATHS, 6380, 'pa"ss').splitlines()
    for expected in (
        "bind 127.0.0.1",
        "port 6380",
        "daemonize yes",
        'pidfile "/srv/ld/addons/redis/redis.pid"',
        'dir "/srv/ld/addons/redis/data"',
        'requirepass "pa\\"ss"',
        'aclfile "/srv/ld/addons/redis/users.acl"',
        "appendonly yes",
        "appendfsync everysec",
    ):
        assert expected in lines


def test_an_environment_user_reaches_only_its_prefix() -> None:
    rules = acl_rules("shop_staging", "pw")
    assert rules[0] == "on" and rules[1].startswith("#") and len(rules[1]) == 65
    assert rules[2:] == ("~shop:staging:*", "&shop:staging:*", "+@all", "-@dangerous")
    acl = render_acl({"shop_staging": "pw", "default": "admin"}).splitlines()
    assert acl[0].startswith("user default on #") and acl[0].endswith(" ~* &* +@all")
    assert acl[1].startswith("user shop_staging on #")
    assert "pw" not in "".join(acl) and "admin" not in "".join(acl)
