"""The autoscaler's request rate: a sliding span over the router's 10 s windows."""

from launchdeck.controlplane.autoscaling.figures import SPAN, _rate
from launchdeck.domain.metrics import RequestWindow, Series


def window(start: float, requests: int) -> RequestWindow:
    return RequestWindow(Series("shop", "staging", "web"), start, 10.0, requests, {}, 0, {}, {})


def test_a_finished_window_counts_for_its_share_inside_the_span_the_live_one_whole():
    # now = 15: the span is [5, 15]; half of [0, 10) is in it, all of [10, 15) that has passed
    assert _rate([window(0, 100), window(10, 50)], now=15.0) == (50 + 50) / SPAN


def test_a_load_step_shows_within_the_span():
    before = [window(0, 100), window(10, 100)]  # 10 req/s
    assert _rate(before, now=20.0) == 10.0
    stepped = [window(10, 100), window(20, 100)]  # 20 req/s from t = 20
    assert _rate(stepped, now=25.0) == (50 + 100) / SPAN  # half the span at the new rate


def test_windows_older_than_the_span_do_not_count():
    assert _rate([window(0, 1000)], now=30.0) == 0.0
