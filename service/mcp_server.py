"""`poalign mcp`: the Model Context Protocol server, so a PO can ask an assistant "what blocks PAY-11 and
what should we move?". Tools: `check` (the stored open findings), `explain_item` (an item, its plan,
its dependencies and the findings naming it), `whatif` and `suggest` (as the commands answer), and
`contracts` (the dependency contracts, as `poalign contracts --format json`). Every tool reads; none
writes a finding or to a tracker.

Over stdio it serves whoever started it (the assistant's process). Over streamable HTTP every request
needs the API token (`Authorization: Bearer ...`, compared in constant time), like the REST API.
"""

from __future__ import annotations

import hmac
import json
from typing import Any

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from starlette.types import ASGIApp, Receive, Scope, Send

from rules.model import DEPENDS_ON, Severity
from rules.plans import planned_finish
from service.contracts_json import contracts_json
from service.findings_json import findings_json
from service.planning import (
    PlanningInputError,
    load_planning,
    read_changes,
    resolve_item,
    suggest_json,
    whatif_json,
)
from service.runtime import Runtime
from service.store import findings
from service.store.base import utcnow
from service.store.contract_models import CONTRACT_STATES
from service.store.findings import FindingFilter

INSTRUCTIONS = (
    "poalign keeps several Product Owners' plans aligned across Jira and Azure DevOps. `check` lists the "
    "open findings (cross-team dependency clashes, priority conflicts, Definition-of-Done drift); "
    "`explain_item` tells what an item depends on and what it blocks; `whatif` shows what moving items "
    "(ITEM=TARGET: a sprint of the item's team, an ISO date, or backlog) would create and clear; "
    "`suggest` proposes the fewest moves that clear each clash within capacity; `contracts` lists who "
    "needs what of whom, what was committed and where each dependency contract stands. Nothing is written."
)


def build_server(runtime: Runtime) -> MCPServer:
    server: MCPServer = MCPServer(name="poalign", instructions=INSTRUCTIONS)

    @server.tool()
    def check(team: str | None = None, rule: str | None = None) -> dict[str, Any]:
        """The open findings as `poalign check --format json` lists them (as of the last evaluation)."""
        with runtime.factory() as session:
            rows = findings.matching(
                session,
                FindingFilter(
                    statuses=("open",),
                    rules=(rule.upper(),) if rule else (),
                    teams=(team,) if team else (),
                ),
            )
            rows.sort(key=lambda r: (-Severity.parse(r.severity), r.rule, r.subjects))
            return {"findings": findings_json(session, rows)}

    @server.tool()
    def explain_item(item: str) -> dict[str, Any]:
        """An item (PAY-11, 1001 or source:key): its team and plan, what it depends on, what depends on
        it, and the open findings that name it."""
        now = utcnow()
        with runtime.factory() as session:
            inputs = load_planning(session, runtime.config, now.date())
            try:
                found = resolve_item(inputs, item)
            except PlanningInputError as error:
                raise ToolError(str(error)) from None
            snapshot = inputs.snapshot

            def brief(ref: str) -> dict[str, Any]:
                other = snapshot.get(ref)
                if other is None:
                    return {"ref": ref, "known": False}
                plan = planned_finish(other)
                return {
                    "ref": ref,
                    "key": other.key,
                    "team": other.team,
                    "state": other.state_category,
                    "sprint": other.iteration.name if other.iteration else None,
                    "planned_finish": plan.finish.isoformat() if plan else None,
                }

            prerequisites = sorted(
                {e.prerequisite for e in snapshot.edges_from(found.ref) if e.kind == DEPENDS_ON}
            )
            dependents = sorted({e.dependent for e in snapshot.edges_to(found.ref) if e.kind == DEPENDS_ON})
            rows = [
                row
                for row in findings.matching(session, FindingFilter(statuses=("open",)))
                if found.ref in row.subjects
            ]
            return {
                "item": {**brief(found.ref), "title": found.title, "priority": found.priority},
                "depends_on": [brief(ref) for ref in prerequisites],
                "needed_by": [brief(ref) for ref in dependents],
                "findings": findings_json(session, rows),
            }

    @server.tool()
    def whatif(moves: list[str], priorities: list[str] | None = None) -> dict[str, Any]:
        """What moving items would do: moves as ITEM=TARGET (a sprint of the item's team, an ISO date,
        or backlog), priorities as ITEM=N (1 highest ... 5 lowest). Answers created, cleared, changed."""
        now = utcnow()
        with runtime.factory() as session:
            inputs = load_planning(session, runtime.config, now.date())
            try:
                changes = read_changes(inputs, moves, priorities or [])
            except PlanningInputError as error:
                raise ToolError(str(error)) from None
            answer = whatif_json(session, inputs, changes, now)
            session.rollback()
            return answer

    @server.tool()
    def suggest(team: str | None = None) -> dict[str, Any]:
        """The fewest moves that clear each cluster of date clashes within the sprints' capacity."""
        known = [t.name for t in runtime.config.teams]
        if team is not None and team not in known:
            raise ToolError(f"unknown team {team!r}; teams: {', '.join(known)}")
        with runtime.factory() as session:
            inputs = load_planning(session, runtime.config, utcnow().date())
            session.rollback()
        return suggest_json(inputs, team)

    @server.tool()
    def contracts(teams: list[str] | None = None, states: list[str] | None = None) -> dict[str, Any]:
        """The dependency contracts as `poalign contracts --format json` lists them: who needs what of whom,
        what was committed, the state and its history. Optionally only those with one of `teams` at
        either end, or in one of `states` (open, requested, committed, proposed, declined, met, broken)."""
        known = [t.name for t in runtime.config.teams]
        unknown_teams = sorted(set(teams or ()) - set(known))
        if unknown_teams:
            raise ToolError(f"unknown team(s) {', '.join(unknown_teams)}; teams: {', '.join(known)}")
        unknown_states = sorted(set(states or ()) - set(CONTRACT_STATES))
        if unknown_states:
            raise ToolError(
                f"unknown state(s) {', '.join(unknown_states)}; expected: {', '.join(CONTRACT_STATES)}"
            )
        with runtime.factory() as session:
            return {"contracts": contracts_json(session, teams=teams or (), states=states or ())}

    return server


class RequireToken:
    """ASGI wrapper: every HTTP request needs `Authorization: Bearer <the API token>`."""

    def __init__(self, app: ASGIApp, runtime: Runtime) -> None:
        self.app = app
        self.runtime = runtime

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            expected = self.runtime.secret(self.runtime.config.api.token_env) or ""
            header = dict(scope.get("headers") or []).get(b"authorization", b"").decode("latin-1")
            scheme, _, given = header.partition(" ")
            ok = (
                bool(expected)
                and scheme.lower() == "bearer"
                and hmac.compare_digest(given.strip().encode(), expected.encode())
            )
            if not ok:
                detail = (
                    "missing or wrong API token" if expected else "API token not configured on the server"
                )
                problem = {"type": "about:blank", "title": "Unauthorized", "status": 401, "detail": detail}
                body = json.dumps(problem).encode()
                await send(
                    {
                        "type": "http.response.start",
                        "status": 401,
                        "headers": [
                            (b"content-type", b"application/problem+json"),
                            (b"www-authenticate", b"Bearer"),
                        ],
                    }
                )
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)


def http_app(runtime: Runtime, host: str = "127.0.0.1") -> ASGIApp:
    """The streamable HTTP transport at /mcp, behind the API token; the SDK's DNS-rebinding guard
    accepts the Host headers of `host` (on loopback: 127.0.0.1, localhost)."""
    return RequireToken(build_server(runtime).streamable_http_app(host=host), runtime)
