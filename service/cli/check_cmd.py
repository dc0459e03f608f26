"""`poalign check` and `poalign suppress`: run the rules, print findings, gate CI on severity."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import UTC, datetime
from typing import Annotated, Any

import typer

from rules.model import Severity
from rules.registry import select as select_rules
from service.cli.common import ConfigOption, console, err_console, fail, load_or_exit
from service.cli.store_access import open_store
from service.evaluate import Evaluator, suppress, unsuppress
from service.findings_json import findings_json
from service.store import findings
from service.store.base import utcnow
from service.store.findings import FindingFilter

SEVERITIES = [str(s) for s in Severity]


def _severity(value: str) -> Severity | None:
    if value == "never":
        return None
    try:
        return Severity.parse(value)
    except ValueError as error:
        raise typer.BadParameter(f"{error} (or 'never')") from None


def check(
    config: ConfigOption = None,
    output: Annotated[str, typer.Option("--format", "-f", help="text or json.")] = "text",
    fail_on: Annotated[
        str,
        typer.Option(
            help=f"Exit 1 when an open finding is at least this severe: {', '.join(SEVERITIES)} or never."
        ),
    ] = "high",
    rule: Annotated[
        list[str] | None, typer.Option("--rule", "-r", help="Only this rule code (repeatable).")
    ] = None,
    team: Annotated[
        list[str] | None, typer.Option("--team", "-t", help="Only findings involving this team.")
    ] = None,
    include_suppressed: Annotated[bool, typer.Option(help="Also list suppressed findings.")] = False,
) -> None:
    """Run the rules over the store, record the findings' lifecycle, and print the open findings.

    Text output is grouped by pair of teams (who has to talk to whom). JSON follows DESIGN.md. Exit 1
    when an open finding is at or above --fail-on (default high), so it can gate CI.
    """
    if output not in ("text", "json"):
        fail("--format must be text or json")
    threshold = _severity(fail_on)
    loaded = load_or_exit(config)
    try:
        rules = select_rules(codes=rule) if rule else None
    except KeyError as error:
        fail(f"unknown rule {error.args[0]}")
    factory = open_store(loaded)
    summary, _ = Evaluator(factory, loaded.config).full(rules)
    for failure in summary.errors:
        err_console.print(f"[red]rule failed[/]: {failure}", markup=True)
    criteria = FindingFilter(
        statuses=("open", "suppressed") if include_suppressed else ("open",),
        rules=tuple(r.code for r in rules or ()),
        teams=tuple(team or ()),
    )
    with factory() as session:
        rows = findings.matching(session, criteria)
        rows.sort(key=lambda r: (-Severity.parse(r.severity), r.rule, r.subjects))
        data = findings_json(session, rows)
    if output == "json":
        console.print_json(json.dumps({"findings": data}))
    else:
        print_findings(data, new=summary.new, resolved=summary.resolved)
    failing = threshold is not None and any(
        entry["status"] == "open" and Severity.parse(entry["severity"]) >= threshold for entry in data
    )
    raise typer.Exit(1 if failing or summary.errors else 0)


def print_findings(data: list[dict[str, Any]], *, new: int, resolved: int) -> None:
    """Findings as text, grouped by the set of teams involved (who has to talk to whom)."""
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
    for entry in data:
        groups[tuple(sorted(entry["teams"])) or ("(no team)",)].append(entry)
    for teams, entries in sorted(groups.items(), key=lambda kv: (-len(kv[0]), kv[0])):
        console.print(f"\n[bold]{' ↔ '.join(teams)}[/]  ({len(entries)})", markup=True)
        for entry in entries:
            keys = ", ".join(item["key"] for item in entry["items"])
            flag = " [magenta]escalated[/]" if entry["escalated"] else ""
            status = "" if entry["status"] == "open" else f" [dim]({entry['status']})[/]"
            console.print(
                f"  [bold]{entry['severity'].upper():8}[/] {entry['rule']} {entry['name']}  [dim]{keys}[/]"
                f"{flag}{status}",
                markup=True,
                highlight=False,
            )
            console.print(f"           {entry['message']}", markup=False, highlight=False)
            console.print(f"           → {entry['action']}", markup=False, highlight=False)
            console.print(f"           [dim]{entry['fingerprint']}[/]", markup=True)
    console.print(f"\n{len(data)} open finding(s); {new} new, {resolved} resolved since last run.")


def suppress_cmd(
    fingerprint: Annotated[str, typer.Argument(help="The finding's fingerprint (from `poalign check`).")],
    config: ConfigOption = None,
    reason: Annotated[str, typer.Option(help="Why this finding is accepted (shown in reports).")] = "",
    until: Annotated[
        str | None, typer.Option(help="Expiry date YYYY-MM-DD; the finding reopens then.")
    ] = None,
    undo: Annotated[bool, typer.Option("--undo", help="Lift the suppression instead.")] = False,
) -> None:
    """Accept a finding (suppress it) with a reason and an optional expiry, or lift it with --undo."""
    loaded = load_or_exit(config)
    expiry = None
    if until:
        try:
            expiry = datetime.fromisoformat(until).replace(tzinfo=UTC)
        except ValueError:
            fail(f"--until {until!r} is not a date (YYYY-MM-DD)")
    if not undo and not reason.strip():
        fail("--reason is required: say why the finding is accepted")
    factory = open_store(loaded)
    try:
        with factory.begin() as session:
            if undo:
                unsuppress(session, fingerprint, "cli", utcnow())
            else:
                suppress(session, fingerprint, reason.strip(), expiry, "cli", utcnow())
    except LookupError as error:
        fail(str(error))
    console.print(f"{fingerprint}: {'unsuppressed' if undo else 'suppressed'}")
