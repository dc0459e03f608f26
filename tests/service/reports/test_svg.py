"""The trend chart's geometry (the dependency graph's is tested in test_graph_layout.py)."""

from __future__ import annotations

from service.reports.svg import trend_layout


def test_trend_layout_handles_one_and_many_reports() -> None:
    one = trend_layout(
        [{"created_at": "2026-01-05T08:00:00+00:00", "open": 4, "cross_team_open": 2, "escalated": 0}]
    )
    assert len(one["dots"]) == 1 and one["max"] == 4
    many = trend_layout(
        [
            {
                "created_at": f"2026-01-{d:02d}T08:00:00+00:00",
                "open": d,
                "cross_team_open": d // 2,
                "escalated": d // 4,
            }
            for d in range(1, 13)
        ]
    )
    assert (
        len(many["dots"]) == 12 and many["dots"][-1]["y"] < many["dots"][0]["y"]
    )  # more findings draw higher
    assert many["ticks"][0]["label"] == "2026-01-01" and many["ticks"][-1]["label"] == "2026-01-12"
