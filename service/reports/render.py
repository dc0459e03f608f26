"""Render report content as one self-contained HTML file, as Markdown for a wiki, and as JSON.

HTML templates are always autoescaped; the Markdown environment escapes every expression with
`escape.md` (its `finalize`), so a template cannot forget to. JSON is produced by `json.dumps`
with `<`, `>` and `&` written as \\u escapes, so even a careless embedder cannot turn it into markup.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import datetime
from functools import cache
from importlib import resources
from typing import Any

from jinja2 import ChoiceLoader, Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from connectors.display import BIDI_CHARACTERS, displayable
from service.reports import escape, graph_layout, svg

CHANGE_LIST_LIMIT = 200


def _parse(value: str | datetime | None) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def moment(value: str | datetime | None) -> str:
    parsed = _parse(value)
    return parsed.strftime("%Y-%m-%d %H:%M UTC") if parsed else "–"


def day(value: str | datetime | None) -> str:
    parsed = _parse(value)
    return parsed.strftime("%Y-%m-%d") if parsed else "–"


def pct(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.0f}%"


def days(value: float | None) -> str:
    return "–" if value is None else f"{value:g} d"


def heat(count: int, top: int) -> int:
    """0 (none) .. 5 (the busiest pair) for the matrix cell colour."""
    if count <= 0 or top <= 0:
        return 0
    return max(1, min(5, round(5 * count / top)))


def _common(env: Environment) -> Environment:
    env.filters.update(moment=moment, day=day, pct=pct, days=days, heat=heat, safe_url=escape.safe_url)
    return env


def _html_finalize(value: Any) -> Any:
    """Every {{ expression }} of an HTML template: text without bidi controls (connectors.display),
    then autoescaped as usual. Markup we built keeps being Markup (removing characters adds no tags)."""
    if isinstance(value, Markup):
        if not value.isascii():
            for control in BIDI_CHARACTERS:
                value = value.replace(control, "")  # Markup.replace keeps it Markup
        return value
    if isinstance(value, str):
        return displayable(value)
    return value


def html_environment(*extra_loaders: Any) -> Environment:
    """Autoescaped environment over the report templates (and any extra loaders before them)."""
    loader = ChoiceLoader([*extra_loaders, PackageLoader("service.reports", "templates")])
    return _common(
        Environment(loader=loader, autoescape=True, undefined=StrictUndefined, finalize=_html_finalize)
    )


@cache
def _html_env() -> Environment:
    return html_environment()


def _markdown_items(items: list[dict[str, Any]]) -> escape.MarkdownText:
    """[KEY](tracker url) title; ... with every part escaped."""
    parts = []
    for item in items:
        link = escape.md_link(item["key"], item.get("url"))
        parts.append(f"{link} {escape.md(item['title'])}" if item.get("title") else str(link))
    return escape.MarkdownText("; ".join(parts))


@cache
def _markdown_env() -> Environment:
    env = Environment(
        loader=PackageLoader("service.reports", "templates"),
        autoescape=False,  # noqa: S701  (Markdown, escaped by finalize below, never served as HTML)
        finalize=escape.md_finalize,
        undefined=StrictUndefined,
        trim_blocks=False,
        keep_trailing_newline=True,
    )
    env.globals["item_links"] = _markdown_items
    return _common(env)


@cache
def report_css() -> str:
    return resources.files("service.reports").joinpath("static/report.css").read_text(encoding="utf-8")


def team_groups(content: dict[str, Any]) -> list[tuple[str, list[dict[str, Any]]]]:
    """Open findings that concern one team (or none), grouped by that team."""
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for entry in content["findings"]:
        if len(entry["teams"]) < 2:
            groups[entry["teams"][0] if entry["teams"] else "(no team)"].append(entry)
    return sorted(groups.items())


def context(content: dict[str, Any], link_prefix: str | None = None) -> dict[str, Any]:
    """What the report templates read (also used by the dashboard's report page)."""
    fmap = {entry["fingerprint"]: entry for entry in content["findings"]}
    return {
        "r": content,
        "fmap": fmap,
        "team_groups": team_groups(content),
        "graph": graph_layout.graph_layout(content["graph"]),
        "trend": svg.trend_layout(content["trend"]),
        "limit": CHANGE_LIST_LIMIT,
        "link_prefix": link_prefix,
    }


def render_html(content: dict[str, Any]) -> str:
    """One self-contained HTML document: inline CSS and SVG, no scripts, no network."""
    template = _html_env().get_template("report.html")
    return template.render(**context(content), css=Markup(report_css()))  # noqa: S704  (our own file)


def render_markdown(content: dict[str, Any]) -> str:
    text = _markdown_env().get_template("report.md.j2").render(**context(content))
    # blank lines: at most one in a row, for a tidy wiki page
    lines: list[str] = []
    for line in text.splitlines():
        if line.strip() or (lines and lines[-1].strip()):
            lines.append(line.rstrip() if not line.endswith("  ") else line)
    return "\n".join(lines).strip() + "\n"


def render_json(content: dict[str, Any]) -> str:
    text = json.dumps(content, indent=2, ensure_ascii=False, sort_keys=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026") + "\n"


def render(content: dict[str, Any], output: str) -> str:
    if output == "html":
        return render_html(content)
    if output in ("md", "markdown"):
        return render_markdown(content)
    if output == "json":
        return render_json(content)
    raise ValueError(f"unknown format {output!r}; expected html, md or json")
