"""The writes people make through the API and the dashboard, each checked against the actor's role and
recorded in the audit log in the same transaction: both routes call these, so they cannot differ.

Who may: accepting (suppressing) a finding or lifting that needs `po` for one of the finding's teams,
or `chief-po` for any; a finding already escalated to the Chief PO is theirs to decide (chief-po).
Starting a sync needs `admin`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from service.access.roles import Principal, require
from service.evaluate import suppress, unsuppress
from service.store import access as audit
from service.store import findings
from service.store.models import Finding
from service.suppression import active_suppression, parse_until


@dataclass(frozen=True)
class Acting:
    """Who acts and from where: the principal and the client address (for the audit log)."""

    principal: Principal
    client: str | None

    def record(self, session: Session, action: str, target: str | None, detail: dict[str, Any]) -> None:
        audit.record(
            session,
            actor=self.principal.name,
            role=self.principal.role,
            via=self.principal.via,
            action=action,
            target=target,
            detail=detail,
            client=self.client,
        )


def record_alone(
    factory: sessionmaker[Session], acting: Acting, action: str, target: str | None, detail: dict[str, Any]
) -> None:
    """Audit an action that writes outside a transaction of ours (a sync or report started in the
    background): recorded when it is started, in its own transaction."""
    with factory.begin() as session:
        acting.record(session, action, target, detail)


class NoSuchFinding(LookupError):
    pass


def _finding(session: Session, fingerprint: str) -> Finding:
    row = findings.by_fingerprint(session, fingerprint)
    if row is None:
        raise NoSuchFinding(f"no finding with fingerprint {fingerprint}")
    return row


def may_decide(principal: Principal, row: Finding) -> bool:
    """Whether the principal may accept or reopen this finding (what the dashboard shows as actions)."""
    if row.escalated_at is not None:
        return principal.at_least("chief-po")
    return principal.at_least("po") and principal.acts_for(row.teams or ())


def _require_decider(principal: Principal, row: Finding) -> None:
    if row.escalated_at is not None:
        require(principal, "chief-po")
    require(principal, "po", row.teams or ())


def accept_finding(
    session: Session,
    acting: Acting,
    fingerprint: str,
    reason: str,
    until_text: str | None,
    timezone: str,
    now: datetime,
    on_behalf_of: str | None = None,
) -> dict[str, Any]:
    """Suppress a finding (ValueError: `until` unreadable or past). The answer of the API. The shared
    API token (a machine) may name whom it acts for; everyone else is recorded as themselves."""
    row = _finding(session, fingerprint)
    _require_decider(acting.principal, row)
    until = parse_until(until_text, timezone, now) if until_text is not None else None
    earlier = active_suppression(row, now)
    by = on_behalf_of if on_behalf_of and acting.principal.via == "api-token" else acting.principal.name
    suppress(session, fingerprint, reason, until, by, now)
    detail: dict[str, Any] = {"reason": reason, "until": until.isoformat() if until else None, "by": by}
    acting.record(session, "finding.suppress", fingerprint, detail)
    answer: dict[str, Any] = {"fingerprint": fingerprint, "status": "suppressed"}
    if earlier is not None:
        answer["replaced"] = earlier
    return answer


def reopen_finding(session: Session, acting: Acting, fingerprint: str, now: datetime) -> dict[str, Any]:
    row = _finding(session, fingerprint)
    _require_decider(acting.principal, row)
    row = unsuppress(session, fingerprint, acting.principal.name, now)
    acting.record(session, "finding.unsuppress", fingerprint, {})
    return {"fingerprint": fingerprint, "status": row.status}
