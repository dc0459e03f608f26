"""The graph layout: deterministic, readable at any size, and never more than a readable number of teams."""

from __future__ import annotations

import itertools
import math

from service.reports.svg import MAX_NODES, NODE_RADIUS, graph_layout, trend_layout


def ring(teams: int, *, clash_every: int = 3) -> dict:
    names = [f"Team {i:03d}" for i in range(teams)]
    edges = [
        {"from": a, "to": b, "dependencies": 1 + i % 4, "clashing": int(i % clash_every == 0), "findings": []}
        for i, (a, b) in enumerate(zip(names, names[1:] + names[:1], strict=True))
    ]
    return {"nodes": [{"team": n, "product_owner": f"PO {n}"} for n in names], "edges": edges}


def test_the_layout_is_deterministic_and_nodes_do_not_overlap() -> None:
    for teams in (1, 2, 3, 7, MAX_NODES):
        graph = ring(teams)
        layout = graph_layout(graph)
        assert layout == graph_layout(graph)
        assert len(layout["nodes"]) == teams and layout["hidden"] == 0
        for a, b in itertools.combinations(layout["nodes"], 2):
            assert math.hypot(a["x"] - b["x"], a["y"] - b["y"]) > 2 * NODE_RADIUS
        view = layout["view"]
        for node in layout["nodes"]:  # every node inside the drawing
            assert (
                view["x"] <= node["x"] - NODE_RADIUS and node["x"] + NODE_RADIUS <= view["x"] + view["width"]
            )
            assert (
                view["y"] <= node["y"] - NODE_RADIUS and node["y"] + NODE_RADIUS <= view["y"] + view["height"]
            )
    assert all(e["d"].startswith("M ") and " Q " in e["d"] for e in graph_layout(ring(5))["edges"])


def test_two_directions_between_two_teams_bend_apart() -> None:
    graph = {
        "nodes": [{"team": "A", "product_owner": None}, {"team": "B", "product_owner": None}],
        "edges": [
            {"from": "A", "to": "B", "dependencies": 1, "clashing": 0, "findings": []},
            {"from": "B", "to": "A", "dependencies": 2, "clashing": 1, "findings": []},
        ],
    }
    first, second = graph_layout(graph)["edges"]
    assert first["d"] != second["d"] and (first["label_x"], first["label_y"]) != (
        second["label_x"],
        second["label_y"],
    )
    assert [e["clash"] for e in graph_layout(graph)["edges"]] == [False, True]  # clashes drawn on top


def test_large_graphs_draw_the_busiest_teams_only() -> None:
    layout = graph_layout(ring(120))
    assert len(layout["nodes"]) == MAX_NODES and layout["hidden"] == 120 - MAX_NODES
    drawn = {n["team"] for n in layout["nodes"]}
    assert all(e["from"] in drawn and e["to"] in drawn for e in layout["edges"])
    # a team on a clashing edge is drawn before a quiet one
    clashing = {t for e in ring(120)["edges"] if e["clashing"] for t in (e["from"], e["to"])}
    assert len(drawn & clashing) == min(len(clashing), MAX_NODES)


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
