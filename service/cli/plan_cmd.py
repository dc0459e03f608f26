"""`poalign whatif` and `poalign suggest`: what a move would do to every team's findings, and the fewest
moves that clear a clash within capacity. Both read the store and write nothing: no finding, no
tracker; exit 2 on a move, priority or team that cannot be read, 0 otherwise."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from service.cli.common import ConfigOption, console, fail, load_or_exit
from service.cli.store_access import open_store
from service.planning import PlanningInputError, load_planning, read_changes, suggest_json, whatif_json
from service.store.base import utcnow


def _format(output: str) -> None:
    if output not in ("text", "json"):
        fail("--format must be text or json")


def whatif(
    move: Annotated[
        list[str] | None,
        typer.Option(
            "--move",
            "-m",
            help="ITEM=TARGET: ITEM a tracker key (PAY-11, 1001, or source:key); TARGET a sprint or "
            "iteration name of the item's team, an ISO date (planned for that day, out of its sprint), "
            "or backlog (out of its sprint). Repeatable.",
        ),
    ] = None,
    priority: Annotated[
        list[str] | None,
        typer.Option("--priority", "-p", help="ITEM=N: N from 1 (highest) to 5 (lowest). Repeatable."),
    ] = None,
    config: ConfigOption = None,
    output: Annotated[str, typer.Option("--format", "-f", help="text or json.")] = "text",
) -> None:
    """Show what moving items (or changing their priority) would do to every team's findings.

    The rules judge the plan as it would be after the moves: JSON `{"created", "cleared", "changed",
    "moves"}`, findings in the shape of `check --format json` (status: what each would become). Nothing
    is written, to the store or to a tracker. An unknown item or sprint exits 2, listing the team's sprints.
    """
    _format(output)
    loaded = load_or_exit(config)
    factory = open_store(loaded)
    now = utcnow()
    with factory() as session:
        inputs = load_planning(session, loaded.config, now.date())
        try:
            changes = read_changes(inputs, move or [], priority or [])
        except PlanningInputError as error:
            fail(str(error))
        data = whatif_json(session, inputs, changes, now)
        session.rollback()
    if output == "json":
        console.print_json(json.dumps(data))
        return
    _print_whatif(data)


def _line(entry: dict[str, Any], mark: str) -> None:
    keys = ", ".join(item["key"] for item in entry["items"]) or entry["team_scope"] or ""
    console.print(
        f"  {mark} [bold]{entry['severity'].upper():8}[/] {entry['rule']} {entry['name']}  [dim]{keys}[/]",
        markup=True,
        highlight=False,
    )
    console.print(f"             {entry['message']}", markup=False, highlight=False)
    console.print(f"             [dim]{entry['fingerprint']}[/]", markup=True)


def _print_whatif(data: dict[str, Any]) -> None:
    for step in data["moves"]:
        if step["kind"] == "priority":
            console.print(
                f"{step['item']}: priority {step['from_priority']} → {step['to_priority']}", markup=False
            )
        else:
            console.print(
                f"{step['item']} ({step['team'] or 'no team'}): {step['from']} → {step['to']} "
                f"(finishes {step['finish_before'] or 'unplanned'} → {step['finish_after'] or 'unplanned'})",
                markup=False,
            )
    for title, key, mark in (
        ("cleared", "cleared", "-"),
        ("created", "created", "+"),
        ("changed", "changed", "~"),
    ):
        console.print(f"\n[bold]{title}[/] ({len(data[key])})", markup=True)
        for entry in data[key]:
            _line(entry, mark)
    for error in data["rule_errors"]:
        console.print(f"[red]rule failed[/]: {error}", markup=True)


def suggest_cmd(
    team: Annotated[
        str | None, typer.Option("--team", "-t", help="Only clusters involving this team.")
    ] = None,
    config: ConfigOption = None,
    output: Annotated[str, typer.Option("--format", "-f", help="text or json.")] = "text",
) -> None:
    """Suggest the fewest moves that clear each cluster of related date clashes (DEP001, DEP002).

    Up to 3 plans per cluster, ranked by fewest moves, then fewest teams disturbed, then least lateness;
    every move goes to a sprint of the item's own team within its capacity (trailing velocity, or the
    team's `capacity` in the config), and no plan creates a finding of high severity. Small clusters
    are searched exactly, large ones by a bounded search (`search` says which). Nothing is written.
    """
    _format(output)
    loaded = load_or_exit(config)
    known = [t.name for t in loaded.config.teams]
    if team is not None and team not in known:
        fail(f"unknown team {team!r}; teams: {', '.join(known) or 'none are configured'}")
    factory = open_store(loaded)
    with factory() as session:
        inputs = load_planning(session, loaded.config, utcnow().date())
        session.rollback()
    data = suggest_json(inputs, team)
    if output == "json":
        console.print_json(json.dumps(data))
        return
    plans_by_cluster: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for plan in data["plans"]:
        plans_by_cluster.setdefault(tuple(plan["cluster"]), []).append(plan)
    for cluster in data["clusters"]:
        keys = ", ".join(ref.split(":", 1)[-1] for ref in cluster["items"])
        console.print(
            f"\n[bold]{', '.join(cluster['rules'])}[/] {keys}  [dim]({cluster['search']} search, "
            f"{cluster['plans_judged']} plans judged)[/]",
            markup=True,
            highlight=False,
        )
        plans = plans_by_cluster.get(tuple(cluster["cluster"]), [])
        if not plans:
            console.print(
                "  no plan clears it within capacity without a new high-severity finding", markup=False
            )
        for number, plan in enumerate(plans, 1):
            moves = "; ".join(f"move {m['item']} from {m['from']} to {m['to']}" for m in plan["moves"])
            console.print(
                f"  {number}. {moves} — clears {len(plan['clears'])}, creates {len(plan['creates'])}",
                markup=False,
                highlight=False,
            )
            for load in plan["capacity"]["sprints"]:
                room = "unknown capacity" if load["capacity"] is None else f"capacity {load['capacity']}"
                console.print(
                    f"     {load['team']} {load['sprint']}: {load['load']} points, {room}", markup=False
                )
    console.print(f"\n{len(data['clusters'])} cluster(s), {len(data['plans'])} plan(s).", markup=False)
