"""What a signed-on person does from the dashboard: accept (suppress) a finding or reopen it, and answer
the dependency contract a finding is about (commit, propose, decline).

Each form posts here and runs the same function as the API (service.actions), so the role checks and
the audit entry cannot differ between the two; the page shows a form only to whom it would allow
(`finding_actions`). Forms carry a CSRF token (service.access.sessions) besides the session cookie.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from service.access.roles import Forbidden, Principal
from service.access.sessions import check_csrf, csrf_token
from service.actions import (
    CONTRACT_VERBS,
    Acting,
    NoContract,
    NoSuchFinding,
    accept_finding,
    answer_contract,
    contract_edge,
    may_decide,
    reopen_finding,
)
from service.api.deps import RuntimeDep, SessionDep, client_address
from service.contract_commands import apply_commands
from service.dashboard.routes import dashboard_auth, page
from service.runtime import Runtime
from service.store import contracts, findings, teams
from service.store.base import utcnow

MAX_FORM = 16_384
router = APIRouter(prefix="/dashboard", include_in_schema=False, dependencies=[Depends(dashboard_auth)])


def finding_actions(request: Request, runtime: Runtime, session: Session, fingerprint: str) -> dict[str, Any]:
    """What the finding page offers the principal: a form to accept, or to reopen, or nothing."""
    principal: Principal | None = getattr(request.state, "principal", None)
    row = findings.by_fingerprint(session, fingerprint)
    if principal is None or row is None:
        return {"can_decide": False, "contract": None}
    csrf = csrf_token(request, runtime.secret(runtime.config.api.token_env))
    return {
        "can_decide": row.status != "resolved" and may_decide(principal, row),
        "status": row.status,
        "csrf": csrf,
        "contract": _contract_offer(session, principal, row) if row.status != "resolved" else None,
    }


def _contract_offer(session: Session, principal: Principal, row: Any) -> dict[str, Any] | None:
    """The contract form for the prerequisite team's PO (chief-po, admin): the edge and where it stands."""
    edge = contract_edge(session, row)
    if edge is None:
        return None
    dependent, prerequisite = edge
    names = {team.id: team.name for team in teams.by_id(session).values()}
    theirs = names.get(prerequisite.team_id or -1)
    if theirs is None or not (principal.at_least("po") and principal.acts_for([theirs])):
        return None
    standing = contracts.between(session, dependent.id, prerequisite.id)
    return {
        "dependent": dependent.key,
        "dependent_team": names.get(dependent.team_id or -1),
        "prerequisite": prerequisite.key,
        "prerequisite_team": theirs,
        "state": standing.state if standing else "open",
        "verbs": CONTRACT_VERBS,
    }


async def read_form(request: Request, runtime: Runtime) -> dict[str, str]:
    declared = request.headers.get("content-length", "0")
    body = await request.body() if declared.isdigit() and int(declared) <= MAX_FORM else b""
    if len(body) > MAX_FORM or not body:
        raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, "the form is empty or too large")
    form = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True).items()}
    check_csrf(request, form.get("csrf", ""), runtime.secret(runtime.config.api.token_env))
    return form


def _refused(request: Request, fingerprint: str, message: str, status_code: int) -> Response:
    return page(
        request, "action_failed.html", status_code=status_code, message=message, fingerprint=fingerprint
    )


def _back(fingerprint: str) -> Response:
    return RedirectResponse(f"/dashboard/findings/{fingerprint}", status_code=status.HTTP_303_SEE_OTHER)


def _wellformed(fingerprint: str) -> bool:
    return 0 < len(fingerprint) <= 64 and all(ch in "0123456789abcdef" for ch in fingerprint)


@router.post("/findings/{fingerprint}/suppress")
async def suppress_from_dashboard(
    request: Request, runtime: RuntimeDep, session: SessionDep, fingerprint: str
) -> Response:
    form = await read_form(request, runtime)
    if not _wellformed(fingerprint):
        return _refused(request, fingerprint[:64], "no such finding", 404)
    reason = form.get("reason", "").strip()
    if not reason or len(reason) > 2000:
        return _refused(
            request, fingerprint, "say why the finding is accepted (at most 2,000 characters)", 422
        )
    until = form.get("until", "").strip() or None
    acting = Acting(request.state.principal, client_address(request))
    try:
        accept_finding(
            session, acting, fingerprint, reason, until, runtime.config.schedule.timezone, utcnow()
        )
    except Forbidden as refused:
        return _refused(request, fingerprint, str(refused), 403)
    except NoSuchFinding:
        return _refused(request, fingerprint, "no such finding", 404)
    except ValueError as error:
        return _refused(request, fingerprint, f"until: {error}", 422)
    session.commit()
    return _back(fingerprint)


@router.post("/findings/{fingerprint}/unsuppress")
async def unsuppress_from_dashboard(
    request: Request, runtime: RuntimeDep, session: SessionDep, fingerprint: str
) -> Response:
    await read_form(request, runtime)
    if not _wellformed(fingerprint):
        return _refused(request, fingerprint[:64], "no such finding", 404)
    try:
        reopen_finding(
            session, Acting(request.state.principal, client_address(request)), fingerprint, utcnow()
        )
    except Forbidden as refused:
        return _refused(request, fingerprint, str(refused), 403)
    except NoSuchFinding:
        return _refused(request, fingerprint, "no such finding", 404)
    session.commit()
    return _back(fingerprint)


@router.post("/findings/{fingerprint}/contract")
async def answer_from_dashboard(
    request: Request, runtime: RuntimeDep, session: SessionDep, fingerprint: str
) -> Response:
    """Commit, propose or decline: stored as the person's comment command and applied at once; the reply
    on both items reaches the trackers with the next annotate round, as for a comment."""
    form = await read_form(request, runtime)
    if not _wellformed(fingerprint):
        return _refused(request, fingerprint[:64], "no such finding", 404)
    verb, argument = form.get("verb", ""), form.get("argument", "").strip()
    if verb not in CONTRACT_VERBS or not argument or len(argument) > 300:
        return _refused(request, fingerprint, "choose commit, propose or decline and say when (or why)", 422)
    acting = Acting(request.state.principal, client_address(request))
    try:
        said = answer_contract(session, acting, fingerprint, verb, argument, utcnow())
    except Forbidden as refused:
        return _refused(request, fingerprint, str(refused), 403)
    except (NoSuchFinding, NoContract) as missing:
        return _refused(request, fingerprint, str(missing), 404)
    session.commit()
    apply_commands(runtime.factory, runtime.config)
    session.expire_all()
    command = contracts.command_said(session, said.item_id, said.comment_id)
    outcome = command.outcome if command is not None else None
    return page(
        request,
        "contract_answered.html",
        status_code=200 if command is not None and command.status == "applied" else 422,
        outcome=outcome or "not applied yet",
        fingerprint=fingerprint,
    )
