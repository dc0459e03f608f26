"""The dependency graph as drawn: teams named with their POs, labels clear of each other, of the team
boxes and of their own line, a layered layout that is the same for the same input.

Geometry is read back from the rendered SVG (the template's output, parsed as XML), not from the layout's
own dictionaries, so a template that drew something elsewhere would fail here too."""

from __future__ import annotations

import itertools
import random
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from service.reports.graph_layout import MAX_NODES, graph_layout
from service.reports.render import html_environment
from tests.service.reports.planted_store import HOSTILE_PO, HOSTILE_TEAM

SVG = "{http://www.w3.org/2000/svg}"
Box = tuple[float, float, float, float]


def ring(teams: int, *, clash_every: int = 3) -> dict[str, Any]:
    names = [f"Team {i:03d}" for i in range(teams)]
    edges = [
        {"from": a, "to": b, "dependencies": 1 + i % 4, "clashing": int(i % clash_every == 0), "findings": []}
        for i, (a, b) in enumerate(zip(names, names[1:] + names[:1], strict=True))
    ]
    return {"nodes": [{"team": n, "product_owner": f"PO of {n}"} for n in names], "edges": edges}


def edge(a: str, b: str, dependencies: int = 1, clashing: int = 0) -> dict[str, Any]:
    return {"from": a, "to": b, "dependencies": dependencies, "clashing": clashing, "findings": []}


def tangled() -> dict[str, Any]:
    """Both directions between pairs, a long edge over a layer, a cycle, a loner and long names."""
    teams = {
        "Payments": "Priya Natarajan",
        "Checkout": "Tom Becker",
        "Accounts": "Kwame Mensah",
        "Fulfilment and Logistics": "Marta Kowalska-Lindqvist",
        "Mobile": None,
        "Search": "Dana Lee",
    }
    edges = [
        edge("Payments", "Checkout", 3, 1),
        edge("Checkout", "Payments", 1),
        edge("Payments", "Accounts", 12, 2),
        edge("Checkout", "Accounts", 2),
        edge("Fulfilment and Logistics", "Accounts", 1, 1),
        edge("Accounts", "Fulfilment and Logistics", 4),
        edge("Mobile", "Payments", 2),
        edge("Mobile", "Accounts", 1),
    ]
    return {"nodes": [{"team": t, "product_owner": po} for t, po in teams.items()], "edges": edges}


def crowded() -> dict[str, Any]:
    """Every team both ways with a hub, and a complete graph of four: many labels near each other."""
    spokes = [f"S{i}" for i in range(8)]
    clique = ["K1", "K2", "K3", "K4"]
    edges = [edge("Hub", s, 10 + i, i % 2) for i, s in enumerate(spokes)]
    edges += [edge(s, "Hub", 100 + i, 10) for i, s in enumerate(spokes[:5])]
    edges += [edge(a, b, 5, 1) for a, b in itertools.permutations(clique, 2)]
    teams = ["Hub", *spokes, *clique]
    return {"nodes": [{"team": t, "product_owner": f"PO {t}"} for t in teams], "edges": edges}


def draw(graph: dict[str, Any]) -> ET.Element:
    template = html_environment().get_template("_graph.svg.html")
    markup = template.render(g=graph_layout(graph), id_prefix="t-")
    return ET.fromstring(markup[markup.index("<svg") : markup.index("</svg>") + len("</svg>")])


def rect_box(rect: ET.Element) -> Box:
    x, y = float(rect.get("x", "0")), float(rect.get("y", "0"))
    return x, y, x + float(rect.get("width", "0")), y + float(rect.get("height", "0"))


def overlap(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def curve_points(d: str, steps: int = 40) -> list[tuple[float, float]]:
    """Points along an SVG path of M and Q commands (what the layout writes)."""
    numbers = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", d)]
    assert re.fullmatch(r"M [-\d. ]+( Q [-\d. ]+)+", d), d
    start, rest = (numbers[0], numbers[1]), numbers[2:]
    points = []
    for i in range(0, len(rest), 4):
        (cx, cy), end = (rest[i], rest[i + 1]), (rest[i + 2], rest[i + 3])
        for step in range(steps + 1):
            t, u = step / steps, 1 - step / steps
            points.append(
                (
                    u * u * start[0] + 2 * u * t * cx + t * t * end[0],
                    u * u * start[1] + 2 * u * t * cy + t * t * end[1],
                )
            )
        start = end
    return points


def nodes_of(svg: ET.Element) -> dict[str, ET.Element]:
    return {g.get("data-team", ""): g for g in svg.iter(f"{SVG}g") if "node" in g.get("class", "").split()}


def labels_of(svg: ET.Element) -> dict[tuple[str, str], ET.Element]:
    return {
        (g.get("data-from", ""), g.get("data-to", "")): g
        for g in svg.iter(f"{SVG}g")
        if g.get("class") == "edge-label"
    }


@pytest.mark.parametrize(
    "graph",
    [tangled(), crowded(), ring(2), ring(7), ring(MAX_NODES)],
    ids=["tangled", "crowded", "2", "7", "max"],
)
def test_no_label_overlaps_another_label_or_a_team_or_its_own_line(graph: dict[str, Any]) -> None:
    svg = draw(graph)
    teams = {team: rect_box(g.find(f"{SVG}rect")) for team, g in nodes_of(svg).items()}  # type: ignore[arg-type]
    labels = {key: rect_box(g.find(f"{SVG}rect")) for key, g in labels_of(svg).items()}  # type: ignore[arg-type]
    assert len(teams) == len(graph["nodes"]) and len(labels) == len(graph["edges"])
    for (a, box_a), (b, box_b) in itertools.combinations([*teams.items(), *labels.items()], 2):
        assert not overlap(box_a, box_b), f"{a} overlaps {b}"
    paths = {
        (g.get("data-from"), g.get("data-to")): g.find(f"{SVG}path").get("d", "")  # type: ignore[union-attr]
        for g in svg.iter(f"{SVG}g")
        if "edge" in g.get("class", "").split()
    }
    for key, box in labels.items():
        inside = [
            p for p in curve_points(paths[key]) if box[0] <= p[0] <= box[2] and box[1] <= p[1] <= box[3]
        ]
        assert not inside, f"the label of {key} sits on its own line"
    view = [float(v) for v in svg.get("viewBox", "").split()]
    for box in [*teams.values(), *labels.values()]:  # everything inside the drawing
        assert (
            view[0] <= box[0]
            and box[2] <= view[0] + view[2]
            and view[1] <= box[1]
            and box[3] <= view[1] + view[3]
        )


def test_every_team_is_named_with_its_po_and_the_names_stay_text() -> None:
    graph = tangled()
    graph["nodes"].append({"team": HOSTILE_TEAM, "product_owner": HOSTILE_PO})
    graph["edges"].append(edge(HOSTILE_TEAM, "Payments"))
    nodes = nodes_of(draw(graph))
    assert set(nodes) == {n["team"] for n in graph["nodes"]}
    for node in graph["nodes"]:
        texts = {t.get("class"): t.text or "" for t in nodes[node["team"]].iter(f"{SVG}text")}
        name, po = node["team"], node["product_owner"]
        if len(name) <= 26:
            assert texts["team-name"] == name
        else:  # long names are cut, never wrapped over a neighbour
            assert texts["team-name"] == name[:25] + "…"
        if po is None:
            assert "team-po" not in texts
        elif len(po) <= 26:
            assert texts["team-po"] == f"PO {po}"
        else:
            assert texts["team-po"] == f"PO {po[:25]}…"
    # parsed as XML, the hostile names are text: no <b>, <script> or <img> element was made
    hostile = nodes[HOSTILE_TEAM]
    assert {child.tag for child in hostile.iter()} <= {f"{SVG}{t}" for t in ("g", "title", "rect", "text")}
    assert (hostile.find(f"{SVG}title").text or "").startswith(HOSTILE_TEAM)  # type: ignore[union-attr]


def test_the_layout_is_identical_for_identical_input_in_any_order() -> None:
    graph = tangled()
    first = graph_layout(graph)
    assert graph_layout(tangled()) == first
    shuffler = random.Random(7)
    for _ in range(5):
        shuffled = {"nodes": list(graph["nodes"]), "edges": list(graph["edges"])}
        shuffler.shuffle(shuffled["nodes"])
        shuffler.shuffle(shuffled["edges"])
        assert graph_layout(shuffled) == first


def test_the_layout_is_identical_from_one_process_to_the_next() -> None:
    """Reports are made by different processes: nothing may hang on object addresses or string hashes."""
    script = (
        "import json\n"
        "from service.reports.graph_layout import graph_layout\n"
        "from tests.service.reports.test_graph_layout import crowded, tangled\n"
        "print(json.dumps([graph_layout(tangled()), graph_layout(crowded())]))\n"
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", script],
            capture_output=True,
            text=True,
            check=True,
            env={"PYTHONHASHSEED": seed, "PATH": ""},
            cwd=Path(__file__).resolve().parents[3],  # the checkout, where `tests` imports from
            timeout=120,
        ).stdout
        for seed in ("0", "1", "2", "3")
    }
    assert len(outputs) == 1


def test_layers_put_the_waiting_team_above_the_team_it_waits_on() -> None:
    chain = {
        "nodes": [{"team": t, "product_owner": None} for t in ("C", "B", "A", "Loner")],
        "edges": [edge("A", "B"), edge("B", "C"), edge("A", "C")],
    }
    nodes = {n["team"]: n for n in graph_layout(chain)["nodes"]}
    assert nodes["A"]["y"] < nodes["B"]["y"] < nodes["C"]["y"]
    assert nodes["Loner"]["y"] > nodes["C"]["y"]  # teams with no dependency wait below the picture


def test_two_directions_between_two_teams_curve_apart() -> None:
    graph = {
        "nodes": [{"team": "A", "product_owner": None}, {"team": "B", "product_owner": None}],
        "edges": [edge("A", "B", 1), edge("B", "A", 2, 1)],
    }
    layout = graph_layout(graph)
    first, second = layout["edges"]
    assert [first["clash"], second["clash"]] == [False, True]  # clashes drawn on top
    (ax, ay), (bx, by) = [(n["cx"], n["y"] + n["h"] / 2) for n in layout["nodes"]]

    def side(point: tuple[float, float]) -> float:  # which side of the line A–B a point is on
        return (bx - ax) * (point[1] - ay) - (by - ay) * (point[0] - ax)

    middle_first, middle_second = (curve_points(e["d"])[20] for e in (first, second))
    assert side(middle_first) * side(middle_second) < 0
    assert side((first["label_x"], first["label_y"])) * side((second["label_x"], second["label_y"])) < 0


def test_large_graphs_draw_the_busiest_teams_only() -> None:
    layout = graph_layout(ring(120))
    assert len(layout["nodes"]) == MAX_NODES and layout["hidden"] == 120 - MAX_NODES
    drawn = {n["team"] for n in layout["nodes"]}
    assert all(e["from"] in drawn and e["to"] in drawn for e in layout["edges"])
    # a team on a clashing edge is drawn before a quiet one
    clashing = {t for e in ring(120)["edges"] if e["clashing"] for t in (e["from"], e["to"])}
    assert len(drawn & clashing) == min(len(clashing), MAX_NODES)


def test_no_teams_and_one_team() -> None:
    assert graph_layout({"nodes": [], "edges": []})["nodes"] == []
    (only,) = graph_layout({"nodes": [{"team": "Solo", "product_owner": "Ann"}], "edges": []})["nodes"]
    assert only["label"] == "Solo" and only["po_label"] == "Ann"


def test_groups_of_teams_stand_apart_with_their_curves() -> None:
    """Unconnected groups side by side: the long edges' bends of one never reach into the next."""
    chooser = random.Random(1)
    names = [f"Team {i:02d}" for i in range(10)]
    links = {tuple(chooser.sample(names, 2)) for _ in range(40)}
    graph = {
        "nodes": [{"team": t, "product_owner": f"PO {t}"} for t in [*names, "Zed 1", "Zed 2"]],
        "edges": [edge(a, b, 3) for a, b in sorted(links)] + [edge("Zed 1", "Zed 2")],
    }
    extent: dict[bool, list[float]] = {True: [], False: []}
    for g in draw(graph).iter(f"{SVG}g"):
        classes = g.get("class", "").split()
        if "edge" in classes:
            d = g.find(f"{SVG}path").get("d", "")  # type: ignore[union-attr]
            extent[g.get("data-from", "").startswith("Zed")] += [x for x, _ in curve_points(d)]
        elif "node" in classes:
            box = rect_box(g.find(f"{SVG}rect"))  # type: ignore[arg-type]
            extent[g.get("data-team", "").startswith("Zed")] += [box[0], box[2]]
    assert max(extent[False]) < min(extent[True])  # the bigger group first, then the next
