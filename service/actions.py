"""The writes people make through the API and the dashboard, each checked against the actor's role and
recorded in the audit log in the same transaction: both routes call these, so they cannot differ.

Who may: accepting (suppressing) a finding or lifting that needs `po` for one of the finding's teams,
or `chief-po` for any; a finding already escalated to the Chief PO is theirs to decide (chief-po).
Starting a sync needs `admin`. Answering a dependency contract (commit, propose, decline) goes through
the comment-command path (service.contract_commands), as if said in a comment on the prerequisite; a
chief-po's answer carries the role, so it decides for any team (not a mere proposal).
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from service.access.roles import Principal, require
from service.evaluate import suppress, unsuppress
from service.store import access as audit
from service.store import contracts, findings
from service.store import items as stored_items
from service.store import teams as stored_teams
from service.store.models import Finding, WorkItem
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


# -- answering a dependency contract from the dashboard ------------------------------------------------
CONTRACT_VERBS = ("commit", "propose", "decline")


class NoContract(LookupError):
    """The finding is not about one cross-team dependency between stored items."""


@dataclass(frozen=True)
class Said:
    """A dashboard answer stored as a comment command: where, under which comment id."""

    item_id: int
    comment_id: str


def contract_edge(session: Session, row: Finding) -> tuple[WorkItem, WorkItem] | None:
    """(dependent, prerequisite) of the depends-on edge between the finding's items, if there is one."""
    subjects = stored_items.by_refs(session, row.subjects or ())
    by_id = {item.id: item for item in subjects.values()}
    for item in subjects.values():
        for dependent_id, prerequisite_id in contracts.dependency_edges(session, item.id):
            if dependent_id in by_id and prerequisite_id in by_id:
                return by_id[dependent_id], by_id[prerequisite_id]
    return None


def answer_contract(
    session: Session, acting: Acting, fingerprint: str, verb: str, argument: str, now: datetime
) -> Said:
    """Say `/poalign <verb> <argument> for <dependent>` on the prerequisite as the acting person would in
    a comment: stored as a pending comment command, then applied by service.contract_commands like any
    other (who may decide, sprint names, the reply on both items in the trackers). Committing or declining
    is the prerequisite team's (po for it); proposing is either team's."""
    if verb not in CONTRACT_VERBS:
        raise ValueError(f"{verb!r} is not one of {', '.join(CONTRACT_VERBS)}")
    edge = contract_edge(session, _finding(session, fingerprint))
    if edge is None:
        raise NoContract("this finding is not about one dependency between two stored items")
    dependent, prerequisite = edge
    names = {row.id: row.name for row in stored_teams.by_id(session).values()}
    theirs = [names[i] for i in (prerequisite.team_id,) if i in names]
    ours = [names[i] for i in (dependent.team_id,) if i in names]
    require(acting.principal, "po", theirs if verb != "propose" else theirs + ours)
    text = argument.strip()[:300]
    comment_id = f"dashboard:{uuid.uuid4().hex}"
    principal = acting.principal
    contracts.record_commands(
        session,
        [
            {
                "item_id": prerequisite.id,
                "comment_id": comment_id,
                "digest": hashlib.sha1(
                    f"{verb} {text} {dependent.key}".encode(), usedforsecurity=False
                ).hexdigest(),
                "position": 0,
                "verb": verb,
                "argument": text,
                "for_key": dependent.key,
                "author_account": None,
                "author_email": principal.email,
                "author_name": principal.display_name or principal.name,
                # a chief-po decides for every team: the comment-command path honours the role checked here
                "signed_on_role": principal.role if principal.at_least("chief-po") else None,
                "said_at": now,
                "received_at": now,
                "status": "pending",
            }
        ],
    )
    detail = {"verb": verb, "argument": text, "dependent": dependent.key, "prerequisite": prerequisite.key}
    acting.record(session, f"contract.{verb}", fingerprint, detail)
    return Said(prerequisite.id, comment_id)
