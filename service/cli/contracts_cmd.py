"""`poalign contracts`: the dependency contracts POs made by comment command, and their history."""

from __future__ import annotations

import json
from typing import Annotated, Literal

import typer
from rich.table import Table

from service.cli.common import ConfigOption, console, fail, load_or_exit
from service.cli.store_access import open_store
from service.contracts_json import contracts_json
from service.store.contract_models import CONTRACT_STATES


def contracts(
    config: ConfigOption = None,
    output: Annotated[Literal["text", "json"], typer.Option("--format", help="text or json.")] = "text",
    team: Annotated[
        list[str] | None,
        typer.Option("--team", "-t", help="Only contracts with this team at either end (repeatable)."),
    ] = None,
    state: Annotated[
        list[str] | None,
        typer.Option(
            "--state", "-s", help=f"Only contracts in this state (repeatable): {', '.join(CONTRACT_STATES)}."
        ),
    ] = None,
) -> None:
    """Dependency contracts: who needs what of whom, what was committed, the state and its history.

    A contract belongs to one cross-team dependency and is made in the trackers by comment commands
    (`/poalign need|commit|propose|decline ...`, see the README); its state moves open → requested →
    committed | proposed | declined → met | broken. An unknown --team or --state exits 2 listing the
    valid ones.
    """
    loaded = load_or_exit(config)
    known = [t.name for t in loaded.config.teams]
    unknown_teams = sorted(set(team or ()) - set(known))
    if unknown_teams:
        fail(f"unknown team(s) {', '.join(unknown_teams)}; configured: {', '.join(known) or 'none'}")
    unknown_states = sorted(set(state or ()) - set(CONTRACT_STATES))
    if unknown_states:
        fail(f"unknown state(s) {', '.join(unknown_states)}; expected: {', '.join(CONTRACT_STATES)}")
    factory = open_store(loaded)
    with factory() as session:
        found = contracts_json(session, teams=team or (), states=state or ())
    if output == "json":
        console.print_json(json.dumps({"contracts": found}))
        return
    if not found:
        console.print("no dependency contracts" + (" matching" if team or state else " yet"), markup=False)
        return
    table = Table(title="dependency contracts")
    for column in ("dependent", "prerequisite", "state", "needed by", "committed", "last"):
        table.add_column(column)
    for entry in found:
        committed = entry["committed"]
        last = entry["history"][-1] if entry["history"] else {}
        table.add_row(
            f"{entry['dependent']['key']} ({entry['dependent']['team']})",
            f"{entry['prerequisite']['key']} ({entry['prerequisite']['team']})",
            entry["state"],
            entry["needed_by"] or "",
            f"{committed['label'] or ''} {committed['date']}".strip() if committed else "",
            f"{last.get('action', '')} by {last.get('by') or 'poalign'}" if last else "",
        )
    console.print(table)
