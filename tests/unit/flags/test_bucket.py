"""Bucketing: the same bucket as Unleash's normalized_hash (so users keep theirs across the move),
an even split, and a user in at 10% still in at 20%."""

from __future__ import annotations

from launchdeck_openfeature import bucket
from launchdeck_openfeature.evaluate import Context, evaluate
from launchdeck_openfeature.flagset import Flag
from UnleashClient.utils import normalized_hash


def test_buckets_equal_unleash_normalized_hash_for_ten_thousand_keys() -> None:
    keys = [f"user-{n}" for n in range(9_990)] + ["", "42", "ünïcødé", "a:b", "🙂", "x" * 300]
    keys += [str(n) for n in range(4)]

    for flag in ("new-checkout", "dark-mode"):
        assert [bucket(flag, key) for key in keys] == [
            normalized_hash(identifier=key, activation_group=flag) for key in keys
        ]


def test_buckets_run_from_1_to_100() -> None:
    buckets = {bucket("new-checkout", str(n)) for n in range(10_000)}

    assert buckets == set(range(1, 101))


def on_for(rollout: int, keys: list[str]) -> set[str]:
    flag = Flag(enabled=True, rollout=rollout)
    return {key for key in keys if evaluate("new-checkout", flag, Context(key), None).value}


def test_a_ten_percent_rollout_lands_within_half_a_point_of_ten_percent() -> None:
    keys = [f"user-{n}" for n in range(100_000)]

    share = len(on_for(10, keys)) / len(keys) * 100

    assert 9.5 <= share <= 10.5


def test_raising_a_rollout_keeps_everyone_who_was_in() -> None:
    keys = [f"user-{n}" for n in range(100_000)]

    at_10, at_20 = on_for(10, keys), on_for(20, keys)

    assert at_10 <= at_20
    assert 19.5 <= len(at_20) / len(keys) * 100 <= 20.5
