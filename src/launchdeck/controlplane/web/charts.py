"""Charts drawn on the server as SVG polylines: no chart library, no JavaScript, readable by
anything that shows an image."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

WIDTH, HEIGHT, PAD = 320, 64, 3
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
    dot: tuple[float, float] | None = None  # the last point, marked (one point has no line)


def charts(series: Sequence[dict[str, Any]], start: float, end: float) -> list[Chart]:
    """One chart per figure over the points (`t` plus the figures; None: no data), the time
    axis from `start` to `end` (a young app's figures sit at the right, as they happened)."""
    return [
        _chart(series, key, title, scale, unit, start, end) for key, title, scale, unit in FIGURES
    ]


def _chart(
    series: Sequence[dict[str, Any]],
    key: str,
    title: str,
    scale: float,
    unit: str,
    start: float,
    end: float,
) -> Chart:
    values = [(p["t"], p[key] * scale) for p in series if p.get(key) is not None]
    if not values:
        return Chart(title, "", "no data", "")
    highest = max(v for _, v in values)
    top, span = highest or 1.0, (end - start) or 1.0
    inner = WIDTH - 2 * PAD  # the last point's mark stays whole at the right edge
    xy = [
        (
            PAD + max(0.0, min(1.0, (t - start) / span)) * inner,
            HEIGHT - PAD - v / top * (HEIGHT - 2 * PAD),
        )
        for t, v in values
    ]
    coords = " ".join(f"{x:.1f},{y:.1f}" for x, y in xy)
    return Chart(title, coords, f"{values[-1][1]:.3g}{unit}", f"{highest:.3g}{unit}", xy[-1])
