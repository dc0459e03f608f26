"""Deterministic geometry for the pictures: the team dependency graph and the trend chart.

Only numbers are computed here; the SVG itself is written by autoescaped templates
(`templates/_graph.svg.html`, `_trend.svg.html`), so no tracker text reaches markup unescaped.

The graph uses a circular layout: teams sorted by name around a circle, so the same teams always
sit in the same places from one report to the next and people learn the picture. Each directed
edge is a quadratic curve bent to its right, so A→B and B→A never overlap.
"""

from __future__ import annotations

import math
from typing import Any

NODE_RADIUS = 22
LABEL_ROOM = 200  # margin for team names around the circle (26 characters at 13 px)
LABEL_CHARS = 26


def _short(text: str, limit: int = LABEL_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _point(x: float, y: float) -> str:
    return f"{x:.1f} {y:.1f}"


def _toward(x: float, y: float, tx: float, ty: float, distance: float) -> tuple[float, float]:
    dx, dy = tx - x, ty - y
    length = math.hypot(dx, dy) or 1.0
    return x + dx / length * distance, y + dy / length * distance


MAX_NODES = 40  # beyond this a circle of names stops being readable


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


def graph_layout(graph: dict[str, Any], limit: int = MAX_NODES) -> dict[str, Any]:
    """Positions and paths for `graph` ({nodes, edges} from metrics.dependency_graph)."""
    shown, hidden = busiest(graph, limit)
    nodes = sorted(shown, key=lambda n: n["team"])
    count = len(nodes)
    radius = 0.0 if count <= 1 else max(130.0, count * 34 / math.pi)
    size = 2 * (radius + LABEL_ROOM)
    centre = size / 2
    placed: dict[str, dict[str, Any]] = {}
    for index, node in enumerate(nodes):
        angle = -math.pi / 2 + 2 * math.pi * index / max(count, 1)
        x, y = centre + radius * math.cos(angle), centre + radius * math.sin(angle)
        cos, sin = math.cos(angle), math.sin(angle)
        if count <= 1:
            anchor, label_x, name_y = "middle", x, y + NODE_RADIUS + 16
            po_y = name_y + 15
        elif abs(cos) < 0.3:  # top or bottom of the circle: the label block above or below the node
            anchor, label_x = "middle", x
            name_y = y + NODE_RADIUS + 16 if sin > 0 else y - NODE_RADIUS - 26
            po_y = name_y + 15
        else:  # left or right: the label block beside the node, vertically centred
            anchor = "start" if cos > 0 else "end"
            label_x = x + (NODE_RADIUS + 8) * (1 if cos > 0 else -1)
            name_y, po_y = y - 7, y + 9
        placed[node["team"]] = {
            "team": node["team"],
            "label": _short(node["team"]),
            "product_owner": node.get("product_owner"),
            "po_label": _short(node.get("product_owner") or "", LABEL_CHARS),
            "x": round(x, 1),
            "y": round(y, 1),
            "label_x": round(label_x, 1),
            "name_y": round(name_y, 1),
            "po_y": round(po_y, 1),
            "anchor": anchor,
            "clashing": False,
            "index": index,
        }
    edges = []
    for edge in graph.get("edges", []):
        start, end = placed.get(edge["from"]), placed.get(edge["to"])
        if start is None or end is None or start is end:
            continue
        x1, y1, x2, y2 = start["x"], start["y"], end["x"], end["y"]
        # control point: off the chord's midpoint, to the right of the direction of travel
        mx, my = (x1 + x2) / 2, (y1 + y2) / 2
        dx, dy = x2 - x1, y2 - y1
        length = math.hypot(dx, dy) or 1.0
        bend = 0.18 * length
        cx, cy = mx - dy / length * bend, my + dx / length * bend
        sx, sy = _toward(x1, y1, cx, cy, NODE_RADIUS + 2)
        ex, ey = _toward(x2, y2, cx, cy, NODE_RADIUS + 4)
        label_x, label_y = 0.25 * sx + 0.5 * cx + 0.25 * ex, 0.25 * sy + 0.5 * cy + 0.25 * ey
        clash = edge["clashing"] > 0
        if clash:
            start["clashing"] = end["clashing"] = True
        edges.append(
            {
                "from": edge["from"],
                "to": edge["to"],
                "dependencies": edge["dependencies"],
                "clashing": edge["clashing"],
                "clash": clash,
                "d": f"M {_point(sx, sy)} Q {_point(cx, cy)} {_point(ex, ey)}",
                "width": round(1.5 + min(5.0, math.log2(1 + edge["dependencies"])), 1),
                "label_x": round(label_x, 1),
                "label_y": round(label_y, 1),
            }
        )
    # clashing edges last, so they are drawn on top
    edges.sort(key=lambda e: (e["clash"], e["from"], e["to"]))
    return {
        "size": round(size, 1),
        "view": _view_box(list(placed.values()), size),
        "hidden": hidden,
        "node_radius": NODE_RADIUS,
        "nodes": list(placed.values()),
        "edges": edges,
    }


def _view_box(nodes: list[dict[str, Any]], size: float) -> dict[str, float]:
    """The drawing's bounding box (nodes, their labels at ~7.5 px a character, curve room), padded."""
    if not nodes:
        return {"x": 0.0, "y": 0.0, "width": size, "height": size}
    left, right, top, bottom = [], [], [], []
    for node in nodes:
        text = 7.5 * max(len(node["label"]), len(node["po_label"]) + 3)
        x, lx = node["x"], node["label_x"]
        if node["anchor"] == "start":
            low, high = x - NODE_RADIUS, lx + text
        elif node["anchor"] == "end":
            low, high = lx - text, x + NODE_RADIUS
        else:
            low, high = min(x - NODE_RADIUS, lx - text / 2), max(x + NODE_RADIUS, lx + text / 2)
        left.append(low)
        right.append(high)
        top.append(min(node["y"] - NODE_RADIUS, node["name_y"] - 10))
        bottom.append(max(node["y"] + NODE_RADIUS, node["po_y"] + 8))
    pad = 24.0
    x0, y0 = max(0.0, min(left) - pad), max(0.0, min(top) - pad)
    x1, y1 = min(size, max(right) + pad), min(size, max(bottom) + pad)
    return {"x": round(x0, 1), "y": round(y0, 1), "width": round(x1 - x0, 1), "height": round(y1 - y0, 1)}


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
