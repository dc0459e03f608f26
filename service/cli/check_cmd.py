"""`poalign check` and `poalign suppress`: run the rules, print findings, gate CI on severity and on
the freshness of the data.

check's exit codes, the first that applies: 2 usage or config error; 3 a source in scope is stale
(never synced, last sync failed, or older than check.sources_max_age_hours); 1 an open finding at or
above --fail-on, or a rule failed; 0 otherwise. Stale wins over findings: a gate must not pass, nor
fail for the wrong reason, on data that may not say what the trackers say now.
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Annotated, Any

import typer

from rules.model import Severity
from rules.registry import select as select_rules
from service.cli.common import (
    EXIT_FINDINGS,
    EXIT_OK,
    EXIT_STALE,
    ConfigOption,
    console,
    err_console,
    fail,
    load_or_exit,
)
from service.cli.store_access import open_store
from service.evaluate import Evaluator, suppress, unsuppress
from service.finding_counts import count
from service.findings_json import findings_json
from service.freshness import sources_in_scope, stale_sources
from service.store import findings
from service.store.base import utcnow
from service.store.findings import FindingFilter
from service.suppression import active_suppression, parse_until

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

    Text output is grouped by pair of teams (who has to talk to whom). JSON follows DESIGN.md, plus
    `stale_sources`. Exit codes, the first that applies: 2 usage or config error (an unknown --team or
    --rule too); 3 a source in scope (the sources of the --team teams, all without --team) never
    synced, its last sync failed, or it last synced longer ago than check.sources_max_age_hours
    (default 24); 1 an open finding at or above --fail-on (default high), or a rule failed; 0 otherwise.
    """
    if output not in ("text", "json"):
        fail("--format must be text or json")
    threshold = _severity(fail_on)
    loaded = load_or_exit(config)
    try:
        rules = select_rules(codes=rule) if rule else None
    except KeyError as error:
        fail(str(error.args[0]))
    known_teams = [t.name for t in loaded.config.teams]
    unknown_teams = [name for name in team or () if name not in known_teams]
    if unknown_teams:
        fail(
            f"unknown team(s) {', '.join(map(repr, unknown_teams))}; "
            f"teams: {', '.join(known_teams) or 'none are configured'}"
        )
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
        stale = stale_sources(
            session,
            sources_in_scope(loaded.config, team or ()),
            loaded.config.check.sources_max_age_hours,
            utcnow(),
        )
    if output == "json":
        console.print_json(json.dumps({"findings": data, "stale_sources": [s.as_json() for s in stale]}))
    else:
        print_findings(data, new=summary.new, resolved=summary.resolved)
    if stale:
        err_console.print(
            f"[bold red]stale data[/]: {len(stale)} source(s) in scope cannot be trusted, so check exits "
            f"{EXIT_STALE}:",
            markup=True,
        )
        for entry in stale:
            err_console.print(f"  {entry.source}: {entry.message}", markup=False)
        raise typer.Exit(EXIT_STALE)
    failing = threshold is not None and any(
        entry["status"] == "open" and Severity.parse(entry["severity"]) >= threshold for entry in data
    )
    raise typer.Exit(EXIT_FINDINGS if failing or summary.errors else EXIT_OK)


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
    opened = [(entry["rule"], entry["teams"]) for entry in data if entry["status"] == "open"]
    others = len(data) - len(opened)
    listed = f" ({others} suppressed also listed)" if others else ""
    # the same words as the dashboard's overview and findings page, whose totals differ from this one's
    console.print(
        f"\n{count(opened).sentence()}{listed}; {new} new, {resolved} resolved since last run.",
        markup=False,
        highlight=False,
    )


def suppress_cmd(
    fingerprint: Annotated[str, typer.Argument(help="The finding's fingerprint (from `poalign check`).")],
    config: ConfigOption = None,
    reason: Annotated[str, typer.Option(help="Why this finding is accepted (shown in reports).")] = "",
    until: Annotated[
        str | None,
        typer.Option(
            help="When the finding reopens: a date (YYYY-MM-DD, the end of that day in schedule.timezone) "
            "or a date and time (without an offset: in schedule.timezone). Must be in the future."
        ),
    ] = None,
    undo: Annotated[bool, typer.Option("--undo", help="Lift the suppression instead.")] = False,
) -> None:
    """Accept a finding (suppress it) with a reason and an optional expiry, or lift it with --undo.

    A new suppression replaces the one in force (and says so); a refused one (no reason, an --until
    in the past) changes nothing.
    """
    loaded = load_or_exit(config)
    now = utcnow()
    expiry = None
    if until:
        try:
            expiry = parse_until(until, loaded.config.schedule.timezone, now)
        except ValueError as error:
            fail(f"--until: {error}")
    if not undo and not reason.strip():
        fail("--reason is required: say why the finding is accepted")
    factory = open_store(loaded)
    with factory.begin() as session:
        row = findings.by_fingerprint(session, fingerprint)
        if row is None:
            fail(f"no finding with fingerprint {fingerprint}")
        if undo:
            unsuppress(session, fingerprint, "cli", now)
            console.print(f"{fingerprint}: unsuppressed")
            return
        earlier = active_suppression(row, now)
        suppress(session, fingerprint, reason.strip(), expiry, "cli", now)
    console.print(f"{fingerprint}: suppressed {_until_text(expiry.isoformat() if expiry else None)}")
    if earlier is not None:
        console.print(
            f"replaced the earlier suppression by {earlier['by']} ({_until_text(earlier['until'])}): "
            f"{earlier['reason']}",
            markup=False,
        )


def _until_text(until: str | None) -> str:
    return f"until {until}" if until else "with no expiry (`--undo` lifts it)"
