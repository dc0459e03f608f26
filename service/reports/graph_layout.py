"""Deterministic geometry for the team dependency graph: where each team, edge and label goes.

Only numbers are computed here; the SVG is written by the autoescaped `templates/_graph.svg.html`, so
no tracker text reaches markup unescaped.

Teams are laid out in layers by grandalf's Sugiyama layout (the "dot" algorithm: cycles broken by
reversing feedback edges, layers ordered to reduce crossings, Brandes-Köpf placement): the team that
waits sits above the team it waits on, so the picture reads top to bottom. Each connected group of
teams is laid out on its own and the groups stand side by side; teams with no cross-team dependency
wrap in rows below. The input is sorted first, so the same teams and dependencies always give the same
picture from one report to the next.

Every team is a box holding its name and its PO's. Every edge is a curve bent to the right of its
direction of travel, so A→B and B→A curve apart; its label (the dependency count) sits beside the
curve's midpoint, offset along the normal, on a white background, at the first candidate place that
overlaps no team box, no other label and no line. Text widths are estimated per character class at
the template's font sizes (generously: a browser test measures the real text with getBBox).
"""

from __future__ import annotations

import math
from typing import Any

from grandalf.graphs import Edge, Vertex, graph_core
from grandalf.layouts import SugiyamaLayout

MAX_NODES = 40  # beyond this the picture stops being readable; the matrix has every team
LABEL_CHARS = 26
NAME_SIZE, PO_SIZE, EDGE_SIZE = 13.0, 11.0, 12.0  # the template's font sizes (px)
BOX_PAD, BOX_MIN = 10.0, 90.0
NAME_ONLY_HEIGHT, WITH_PO_HEIGHT = 30.0, 44.0
EDGE_LABEL_HEIGHT = 18.0
X_SPACE, Y_SPACE, GROUP_SPACE, MARGIN = 32.0, 84.0, 64.0, 24.0
BEND_ROOM = 40.0  # curves bend this far beyond the routes (see _curve)
ROW_WIDTH = 960.0  # teams without dependencies wrap at about this width

Box = tuple[float, float, float, float]  # left, top, right, bottom


def _short(text: str, limit: int = LABEL_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def busiest(graph: dict[str, Any], limit: int = MAX_NODES) -> tuple[list[dict[str, Any]], int]:
    """The teams to draw: all of them, or the `limit` with the most clashing, then most, dependencies."""
    nodes = list(graph.get("nodes", []))
    if len(nodes) <= limit:
        return nodes, 0
    weight: dict[str, tuple[int, int]] = {}
    for edge in graph.get("edges", []):
        for team in (edge["from"], edge["to"]):
            clashing, total = weight.get(team, (0, 0))
            weight[team] = (clashing + edge["clashing"], total + edge["dependencies"])
    ranked = sorted(nodes, key=lambda n: (weight.get(n["team"], (0, 0)), n["team"]), reverse=True)
    return ranked[:limit], len(nodes) - limit


# Advance widths in em, a little above Arial/Helvetica/Roboto bold so a sans-serif fallback still fits.
_NARROW, _WIDE = set("iljtfrI.,:;'!|()[] "), set("mwMW@%")


def text_width(text: str, size: float) -> float:
    """A generous estimate of `text`'s width in bold sans-serif at `size` px (no font metrics here)."""
    em = 0.0
    for char in text:
        if char in _NARROW:
            em += 0.36
        elif char in _WIDE:
            em += 1.0
        elif char.isupper() or not char.isascii():
            em += 0.8 if char.isascii() or ord(char) < 0x2E80 else 1.05  # CJK and wider scripts
        else:
            em += 0.62
    return em * size


class _View:
    """What grandalf reads (w, h) and writes (xy) on a vertex, and the route it writes on an edge."""

    def __init__(self, w: float = 0.0, h: float = 0.0) -> None:
        self.w, self.h = w, h
        self.xy: tuple[float, float] = (0.0, 0.0)
        self.path: list[tuple[float, float]] = []

    def setpath(self, points: list[tuple[float, float]]) -> None:
        self.path = list(points)


def _team_box(node: dict[str, Any]) -> dict[str, Any]:
    label, po_label = _short(node["team"]), _short(node.get("product_owner") or "")
    text = max(text_width(label, NAME_SIZE), text_width(f"PO {po_label}", PO_SIZE) if po_label else 0.0)
    return {
        "team": node["team"],
        "label": label,
        "product_owner": node.get("product_owner"),
        "po_label": po_label,
        "w": max(BOX_MIN, round(text + 2 * BOX_PAD)),
        "h": WITH_PO_HEIGHT if po_label else NAME_ONLY_HEIGHT,
        "clashing": False,
    }


def _layered(
    boxes: dict[str, dict[str, Any]], links: list[tuple[str, str]]
) -> tuple[dict[str, tuple[float, float]], dict[tuple[str, str], list[tuple[float, float]]]]:
    """Centre of every team and the route of every link, groups side by side, loners in rows below."""
    vertices = {team: Vertex(team) for team in boxes}
    for team, vertex in vertices.items():
        vertex.view = _View(boxes[team]["w"], boxes[team]["h"])
    edges = {}
    for a, b in links:
        edge = Edge(vertices[a], vertices[b])
        edge.view = _View()
        edges[(a, b)] = edge
    centres: dict[str, tuple[float, float]] = {}
    routes: dict[tuple[str, str], list[tuple[float, float]]] = {}
    groups = _groups(vertices, edges)
    left, bottom = MARGIN, MARGIN
    loners = [g for g in groups if g.order() == 1]
    for group in (g for g in groups if g.order() > 1):
        layout = SugiyamaLayout(group)
        layout.xspace, layout.yspace = X_SPACE, Y_SPACE
        layout.init_all(optimize=True)  # shorter edges: fewer bends and a narrower picture
        layout.draw()
        members = sorted(group.sV, key=lambda v: v.data)
        # the group's extent includes the bends of long edges (grandalf's dummy vertices), which can
        # stand beside the teams: the next group starts after them, not on top of them
        placed = [v for layer in layout.layers for v in layer]
        x0 = min(v.view.xy[0] - v.view.w / 2 for v in placed)
        y0 = min(v.view.xy[1] - v.view.h / 2 for v in placed)
        x1 = max(v.view.xy[0] + v.view.w / 2 for v in placed)
        dx, dy = left + BEND_ROOM - x0, MARGIN - y0
        for v in members:
            centres[v.data] = (v.view.xy[0] + dx, v.view.xy[1] + dy)
        for key, edge in edges.items():
            if key[0] in centres and edge.view.path and key not in routes:
                routes[key] = [(x + dx, y + dy) for x, y in edge.view.path]
        left = x1 + dx + BEND_ROOM + GROUP_SPACE
        bottom = max(bottom, max(v.view.xy[1] + dy + v.view.h / 2 for v in members))
    row_width = max(ROW_WIDTH, left - GROUP_SPACE)
    x, y, row_height = MARGIN, bottom + (Y_SPACE if centres else 0.0), 0.0
    for group in loners:
        (vertex,) = group.sV
        if x > MARGIN and x + vertex.view.w > row_width:
            x, y, row_height = MARGIN, y + row_height + X_SPACE / 2, 0.0
        centres[vertex.data] = (x + vertex.view.w / 2, y + vertex.view.h / 2)
        x += vertex.view.w + X_SPACE
        row_height = max(row_height, vertex.view.h)
    return centres, routes


def _groups(vertices: dict[str, Any], edges: dict[tuple[str, str], Any]) -> list[Any]:
    """The connected groups of teams, biggest first, each a grandalf graph built in name order.

    Not grandalf's own Graph.C: it gathers each group's edges in a set of objects hashed by
    address, so the edge order, and with it the picture, would change from one process to the next.
    """
    group_of = {team: {team} for team in vertices}
    for a, b in edges:
        if group_of[a] is not group_of[b]:
            merged = group_of[a] | group_of[b]
            for team in merged:
                group_of[team] = merged
    unique = {min(members): sorted(members) for members in group_of.values()}
    ordered = sorted(unique.values(), key=lambda members: (-len(members), members[0]))
    return [
        graph_core(
            [vertices[team] for team in members],
            [edge for (a, _), edge in sorted(edges.items()) if a in members],
        )
        for members in ordered
    ]


def _border(
    centre: tuple[float, float], box: dict[str, Any], toward: tuple[float, float]
) -> tuple[float, float]:
    """Where the line from the box's centre toward `toward` leaves the box (plus a small gap)."""
    (cx, cy), (tx, ty) = centre, toward
    dx, dy = tx - cx, ty - cy
    if dx == 0 and dy == 0:
        return centre
    half_w, half_h = box["w"] / 2 + 3, box["h"] / 2 + 3
    scale = min(half_w / abs(dx) if dx else math.inf, half_h / abs(dy) if dy else math.inf)
    return cx + dx * scale, cy + dy * scale


def _curve(points: list[tuple[float, float]]) -> tuple[str, list[tuple[float, float]]]:
    """SVG path through the route (bent right of travel) and sample points along it."""
    (x1, y1), (x2, y2) = points[0], points[-1]
    length = math.hypot(x2 - x1, y2 - y1) or 1.0
    nx, ny = -(y2 - y1) / length, (x2 - x1) / length  # the right-hand normal of the direction of travel
    bend = min(BEND_ROOM, 0.15 * length)
    if len(points) == 2:
        inner = [((x1 + x2) / 2 + nx * bend, (y1 + y2) / 2 + ny * bend)]
    else:
        inner = [(x + nx * bend / 2, y + ny * bend / 2) for x, y in points[1:-1]]
    controls = [points[0], *inner, points[-1]]
    # quadratic pieces through the midpoints between successive control points (a smooth B-spline)
    parts = [f"M {_pt(controls[0])}"]
    samples: list[tuple[float, float]] = []
    start = controls[0]
    for index in range(1, len(controls) - 1):
        ctrl = controls[index]
        end = controls[-1] if index == len(controls) - 2 else _mid(ctrl, controls[index + 1])
        parts.append(f"Q {_pt(ctrl)} {_pt(end)}")
        samples.extend(_quad(start, ctrl, end, t / 12) for t in range(13))
        start = end
    return " ".join(parts), samples


def _mid(a: tuple[float, float], b: tuple[float, float]) -> tuple[float, float]:
    return (a[0] + b[0]) / 2, (a[1] + b[1]) / 2


def _quad(
    a: tuple[float, float], c: tuple[float, float], b: tuple[float, float], t: float
) -> tuple[float, float]:
    u = 1 - t
    return u * u * a[0] + 2 * u * t * c[0] + t * t * b[0], u * u * a[1] + 2 * u * t * c[1] + t * t * b[1]


def _pt(point: tuple[float, float]) -> str:
    return f"{point[0]:.1f} {point[1]:.1f}"


def _overlaps(a: Box, b: Box, gap: float = 2.0) -> bool:
    return a[0] < b[2] + gap and b[0] < a[2] + gap and a[1] < b[3] + gap and b[1] < a[3] + gap


def _hits(box: Box, samples: list[tuple[float, float]], gap: float = 2.0) -> int:
    return sum(
        1 for x, y in samples if box[0] - gap <= x <= box[2] + gap and box[1] - gap <= y <= box[3] + gap
    )


def _place_label(
    samples: list[tuple[float, float]],
    size: tuple[float, float],
    taken: list[Box],
    lines: list[list[tuple[float, float]]],
) -> Box:
    """Beside the curve's middle, on its outer (right) side first: the first place clear of boxes and lines."""
    w, h = size
    count = len(samples)
    fallback: tuple[int, Box] | None = None
    for along in (0.5, 0.38, 0.62, 0.28, 0.72):
        i = min(count - 2, max(1, round(along * (count - 1))))
        (px, py), (ax, ay), (bx, by) = samples[i], samples[i - 1], samples[i + 1]
        length = math.hypot(bx - ax, by - ay) or 1.0
        nx, ny = -(by - ay) / length, (bx - ax) / length
        # the distance from the line to the box's edge along the normal, for a w × h box
        reach = (abs(nx) * w + abs(ny) * h) / 2 + 4
        for side in (1.0, -1.0):
            for extra in (0.0, 10.0, 24.0, 44.0):
                cx, cy = px + side * nx * (reach + extra), py + side * ny * (reach + extra)
                box = (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)
                if any(_overlaps(box, other) for other in taken):
                    continue
                crossing = sum(_hits(box, line) for line in lines)
                if crossing == 0:
                    return box
                if fallback is None or crossing < fallback[0]:
                    fallback = (crossing, box)
    if fallback is not None:
        return fallback[1]
    px, py = samples[count // 2]  # nowhere clear: beside the middle, above everything else
    return (px - w / 2, py - h / 2 - 12 - h, px + w / 2, py - 12)


def graph_layout(graph: dict[str, Any], limit: int = MAX_NODES) -> dict[str, Any]:
    """Positions, paths and label boxes for `graph` ({nodes, edges} from cross_team.dependency_graph)."""
    shown, hidden = busiest(graph, limit)
    boxes = {node["team"]: _team_box(node) for node in sorted(shown, key=lambda n: n["team"])}
    wanted = sorted(
        (
            e
            for e in graph.get("edges", [])
            if e["from"] in boxes and e["to"] in boxes and e["from"] != e["to"]
        ),
        key=lambda e: (e["from"], e["to"]),
    )
    centres, routes = _layered(boxes, [(e["from"], e["to"]) for e in wanted])
    nodes = []
    for team, box in boxes.items():
        x, y = centres[team]
        left, top = x - box["w"] / 2, y - box["h"] / 2
        two_lines = bool(box["po_label"])
        nodes.append(
            box
            | {
                "x": round(left, 1),
                "y": round(top, 1),
                "cx": round(x, 1),
                "name_y": round(y - 8 if two_lines else y, 1),
                "po_y": round(y + 10, 1),
                "box": (left, top, left + box["w"], top + box["h"]),
            }
        )
    placed = {n["team"]: n for n in nodes}
    drawn = []
    for edge in wanted:
        start, end = placed[edge["from"]], placed[edge["to"]]
        route = routes.get((edge["from"], edge["to"])) or [centres[edge["from"]], centres[edge["to"]]]
        route = [
            _border(centres[edge["from"]], start, route[1]),
            *route[1:-1],
            _border(centres[edge["to"]], end, route[-2]),
        ]
        d, samples = _curve(route)
        clash = edge["clashing"] > 0
        if clash:
            start["clashing"] = end["clashing"] = True
        text = f"{edge['dependencies']}" + (f" ({edge['clashing']}!)" if edge["clashing"] else "")
        drawn.append({"edge": edge, "clash": clash, "d": d, "samples": samples, "text": text})
    taken: list[Box] = [n["box"] for n in nodes]
    lines = [e["samples"] for e in drawn]
    edges = []
    for item in drawn:
        edge = item["edge"]
        size = (text_width(item["text"], EDGE_SIZE) + 8, EDGE_LABEL_HEIGHT)
        label = _place_label(item["samples"], size, taken, lines)
        taken.append(label)
        edges.append(
            {
                "from": edge["from"],
                "to": edge["to"],
                "dependencies": edge["dependencies"],
                "clashing": edge["clashing"],
                "clash": item["clash"],
                "d": item["d"],
                "width": round(1.5 + min(5.0, math.log2(1 + edge["dependencies"])), 1),
                "text": item["text"],
                "label_x": round((label[0] + label[2]) / 2, 1),
                "label_y": round((label[1] + label[3]) / 2, 1),
                "label_box": tuple(round(v, 1) for v in label),
            }
        )
    edges.sort(key=lambda e: (e["clash"], e["from"], e["to"]))  # clashing edges last: drawn on top
    for node in nodes:
        node["box"] = tuple(round(v, 1) for v in node["box"])
    curves: list[Box] = [(x, y, x, y) for line in lines for x, y in line]
    return {"hidden": hidden, "nodes": nodes, "edges": edges, "view": _view_box(taken + curves)}


def _view_box(boxes: list[Box]) -> dict[str, float]:
    """The drawing's bounding box: every team box, edge label and curve, padded."""
    if not boxes:
        return {"x": 0.0, "y": 0.0, "width": 2 * MARGIN, "height": 2 * MARGIN}
    x0, y0 = min(b[0] for b in boxes) - MARGIN, min(b[1] for b in boxes) - MARGIN
    x1, y1 = max(b[2] for b in boxes) + MARGIN, max(b[3] for b in boxes) + MARGIN
    return {"x": round(x0, 1), "y": round(y0, 1), "width": round(x1 - x0, 1), "height": round(y1 - y0, 1)}
