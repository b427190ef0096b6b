"""Charts drawn on the server as SVG polylines: no chart library, no JavaScript, readable by
anything that shows an image."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

WIDTH, HEIGHT = 320, 64
FIGURES = (
    ("requests_per_s", "requests/s", 1.0, ""),
    ("error_rate", "error rate", 100.0, "%"),
    ("p95_ms", "p95", 1.0, " ms"),
    ("cpu", "CPU", 100.0, "%"),
    ("memory_bytes", "memory", 1 / 1024**2, " MiB"),
)


@dataclass(frozen=True)
class Chart:
    title: str
    points: str  # the polyline's "x,y x,y ..."
    latest: str  # the last value, as people read it
    top: str  # the value at the top of the chart

    @property
    def empty(self) -> bool:
        return not self.points


def charts(series: Sequence[dict[str, Any]]) -> list[Chart]:
    """One chart per figure over the points (`t` plus the figures; None: no data)."""
    return [_chart(series, key, title, scale, unit) for key, title, scale, unit in FIGURES]


def _chart(
    series: Sequence[dict[str, Any]], key: str, title: str, scale: float, unit: str
) -> Chart:
    values = [(p["t"], p[key] * scale) for p in series if p.get(key) is not None]
    if not values:
        return Chart(title, "", "no data", "")
    t0, t1 = series[0]["t"], series[-1]["t"]
    top = max(v for _, v in values) or 1.0
    span = (t1 - t0) or 1.0
    coords = " ".join(
        f"{(t - t0) / span * WIDTH:.1f},{HEIGHT - v / top * (HEIGHT - 4) - 2:.1f}"
        for t, v in values
    )
    return Chart(title, coords, f"{values[-1][1]:.3g}{unit}", f"{top:.3g}{unit}")
