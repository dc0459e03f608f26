"""Deterministic geometry for the trend chart (the dependency graph's is in graph_layout.py).

Only numbers are computed here; the SVG itself is written by the autoescaped `templates/_trend.svg.html`.
"""

from __future__ import annotations

from typing import Any


def _point(x: float, y: float) -> str:
    return f"{x:.1f} {y:.1f}"


def trend_layout(points: list[dict[str, Any]], width: int = 640, height: int = 180) -> dict[str, Any]:
    """Polylines for open, cross-team open and escalated findings over the stored reports."""
    series = ("open", "cross_team_open", "escalated")
    left, right, top, bottom = 40, 16, 14, 30
    top_value = max([1, *(int(p.get(name) or 0) for p in points for name in series)])
    count = len(points)
    step = (width - left - right) / max(count - 1, 1)

    def x_of(index: int) -> float:
        return left + (index * step if count > 1 else (width - left - right) / 2)

    def y_of(value: float) -> float:
        return top + (height - top - bottom) * (1 - value / top_value)

    lines = {
        name: " ".join(
            _point(x_of(i), y_of(int(p.get(name) or 0))).replace(" ", ",") for i, p in enumerate(points)
        )
        for name in series
    }
    dots = [
        {
            "x": round(x_of(i), 1),
            "y": round(y_of(int(p.get("open") or 0)), 1),
            "value": int(p.get("open") or 0),
        }
        for i, p in enumerate(points)
    ]
    ticks = [
        {"x": round(x_of(i), 1), "label": str(p.get("created_at") or "")[:10]}
        for i, p in enumerate(points)
        if count <= 6 or i in (0, count - 1) or i % max(1, count // 5) == 0
    ]
    return {
        "width": width,
        "height": height,
        "lines": lines,
        "dots": dots,
        "ticks": ticks,
        "max": top_value,
        "y_max": round(y_of(top_value), 1),
        "y_zero": round(y_of(0), 1),
        "left": left,
        "right": width - right,
    }
