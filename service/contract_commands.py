"""Comment commands applied to dependency contracts, and contract states kept true to the trackers' plans.

A sync or a webhook stores each `/poalign ...` command once (service.ingest); `apply_commands` then takes
the pending ones in the order they were said, finds the cross-team edge each is about, checks who may
decide, resolves sprint names within the team's own sprints, moves the contract and writes what happened
on the command (its `outcome`, which poalign's reply on the items shows). Who may commit or decline for a
team: its PO (`product_owner`, `product_owner_accounts`) and its `delegates`, matched to the comment's
author by account id, e-mail or display name (case-insensitive); a person signed on to the dashboard as
chief-po (or admin) for every team, as that role says; anyone else's commit or decline is recorded as a
proposal and changes nothing. Then every standing commitment is judged against the
tracker's plan (rules.commitments): met, broken, or committed again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy.orm import Session, sessionmaker

from rules.commitments import MET, MISSED, PLANNED_LATER, commitment_verdict
from rules.model import PROMISED, Commitment
from rules.plans import planned_finish
from rules.text import possessive
from service.config.schema import Config
from service.logs import get_logger
from service.rule_inputs import build_policy, load_items, promised_finish
from service.store import contracts, findings, locks
from service.store import items as stored_items
from service.store.base import utcnow
from service.store.contract_models import Contract, ContractCommand
from service.store.models import Iteration, Team, WorkItem

log = get_logger(__name__)
HELP = (
    "poalign understands, one per line on either item of a cross-team dependency: "
    "/poalign need <sprint|date> [for KEY] · /poalign commit <sprint|date|release> [for KEY] · "
    "/poalign propose <sprint|date> [for KEY] · /poalign decline <reason> [for KEY] · "
    "/poalign accept <reason> · /poalign help. Dates are YYYY-MM-DD; sprints are the committing team's."
)
DECIDE_FOR_ALL = frozenset({"chief-po", "admin"})  # service.access.roles: chief-po and above
OPEN_TO_ASK = frozenset({"open", "requested", "proposed", "declined"})
_AFTER_VERDICT = {MET: "met", PLANNED_LATER: "broken", MISSED: "broken"}


@dataclass
class ApplySummary:
    applied: int = 0
    refused: int = 0
    state_changes: int = 0
    touched: set[int] = field(default_factory=set)  # items whose contracts changed


class Refused(Exception):
    """A command poalign cannot carry out; the message is the reply."""


def day_text(value: date) -> str:
    return f"{value.day} {value:%b %Y}"


@dataclass(frozen=True)
class Target:
    kind: str  # sprint | date | release
    label: str
    finish: date
    iteration_id: int | None = None

    @property
    def text(self) -> str:
        if self.kind == "sprint":
            return f"{self.label} (ends {day_text(self.finish)})"
        if self.kind == "release":
            return f"release {self.label} ({day_text(self.finish)})"
        return day_text(self.finish)


class Deciders:
    """Who may commit or decline for each team, from the config."""

    def __init__(self, config: Config) -> None:
        self._names: dict[str, frozenset[str]] = {}
        self._shown: dict[str, str] = {}
        for team in config.teams:
            people = [team.product_owner or "", *team.product_owner_accounts, *team.delegates]
            self._names[team.name] = frozenset(p.strip().casefold() for p in people if p.strip())
            po = (
                f"{team.product_owner} ({possessive(team.name)} PO)"
                if team.product_owner
                else f"{possessive(team.name)} PO"
            )
            self._shown[team.name] = po + (
                f" or a delegate ({', '.join(team.delegates)})" if team.delegates else ""
            )

    def can_decide(self, team: str | None, command: ContractCommand) -> bool:
        """The team's PO or a delegate, by who said it in the tracker; or a person signed on to the
        dashboard as chief-po (or higher), who acts for every team. The role is the one the dashboard
        checked when it recorded the command; a tracker comment never carries one."""
        if team is not None and command.signed_on_role in DECIDE_FOR_ALL:
            return True
        said_by = {
            n.strip().casefold()
            for n in (command.author_account, command.author_email, command.author_name)
            if n
        }
        return team is not None and bool(said_by & self._names.get(team, frozenset()))

    def who(self, team: str | None) -> str:
        return self._shown.get(team or "", f"{possessive(team)} PO" if team else "the item's team")


def said_at(command: ContractCommand, now: datetime) -> datetime:
    """When the command was said (its comment's time), never later than now: history and DEP009's
    clock run from then, not from when poalign read it."""
    return min(command.said_at, now) if command.said_at else now


def author(command: ContractCommand) -> str:
    return command.author_name or command.author_email or command.author_account or "someone"


def _sprint_named(text: str, sprints: list[Iteration]) -> Iteration | None:
    """The sprint the text names: by its name or ADO path (case-insensitive), else the one sprint whose
    name holds the text as whole words ("Sprint 23" for "PAY Sprint 23", never for "PAY Sprint 230")."""
    wanted = " ".join(text.casefold().split())

    def names(sprint: Iteration) -> set[str]:
        path = (sprint.path or "").casefold()
        return {" ".join(sprint.name.casefold().split()), path, path.rsplit("\\", 1)[-1]}

    exact = [sprint for sprint in sprints if wanted in names(sprint)]
    if exact:
        return exact[0]
    words = re.compile(rf"(?<!\w){re.escape(wanted)}(?!\w)")
    within = [sprint for sprint in sprints if words.search(" ".join(sprint.name.casefold().split()))]
    if len(within) > 1:
        raise Refused(
            f"'{text}' could be several sprints ({', '.join(s.name for s in within[:6])}): name one."
        )
    return within[0] if within else None


class _Applier:
    def __init__(self, session: Session, config: Config, now: datetime, summary: ApplySummary) -> None:
        self.session, self.config, self.now, self.summary = session, config, now, summary
        self.deciders = Deciders(config)
        self.team_rows: dict[int, Team] = {row.id: row for row in session.query(Team)}

    def team(self, item: WorkItem) -> str | None:
        row = self.team_rows.get(item.team_id) if item.team_id is not None else None
        return row.name if row else None

    def item(self, item_id: int) -> WorkItem:
        found = stored_items.by_id(self.session, item_id)
        assert found is not None  # commands and contracts go with their items (ON DELETE CASCADE)
        return found

    def apply(self, command: ContractCommand) -> str:
        item = self.item(command.item_id)
        if command.verb == "help":
            return (f"'{command.argument}' is not a poalign command. " if command.argument else "") + HELP
        if command.verb == "accept":
            return self.accept(command, item)
        contract = self.contract(command, item)
        command.contract_id = contract.id
        dependent, prerequisite = (
            self.item(contract.dependent_item_id),
            self.item(contract.prerequisite_item_id),
        )
        before = (contract.state, contract.committed_date, contract.needed_by)
        outcome = getattr(self, command.verb)(command, contract, dependent, prerequisite)
        if (contract.state, contract.committed_date, contract.needed_by) != before:
            self.summary.touched.update((dependent.id, prerequisite.id))
        return outcome

    def contract(self, command: ContractCommand, item: WorkItem) -> Contract:
        """The contract of the cross-team edge the command is about (created on first mention)."""
        edges = []
        for dependent_id, prerequisite_id in contracts.dependency_edges(self.session, item.id):
            other = self.item(prerequisite_id if dependent_id == item.id else dependent_id)
            teams = (self.team(item), self.team(other))
            if None in teams or teams[0] == teams[1]:
                continue
            if command.for_key and other.key.casefold() != command.for_key.casefold():
                continue
            edges.append((dependent_id, prerequisite_id, other.key))
        if not edges:
            about = f" with {command.for_key}" if command.for_key else ""
            raise Refused(
                f"{item.key} has no dependency{about} on another team's item, so there is nothing to agree on."
            )
        if len(edges) > 1:
            keys = ", ".join(sorted(key for *_, key in edges))
            raise Refused(
                f"{item.key} has several cross-team dependencies ({keys}): add `for KEY` to say which."
            )
        dependent_id, prerequisite_id, _ = edges[0]
        return contracts.ensure(self.session, dependent_id, prerequisite_id, said_at(command, self.now))

    def target(self, argument: str, owner: WorkItem, *, releases: bool = False) -> Target:
        """A sprint of the owner's team, a date, or (commit) a release of the team, from the argument."""
        text = argument.strip()
        try:
            return Target("date", text, date.fromisoformat(text))
        except ValueError:
            pass
        team_id = owner.team_id
        sprints = contracts.team_iterations(self.session, team_id) if team_id is not None else []
        sprint = _sprint_named(text, sprints)
        if sprint is not None:
            if sprint.finish_date is None:
                raise Refused(
                    f"{sprint.name} has no end date in the tracker: give a date (YYYY-MM-DD) instead."
                )
            return Target("sprint", sprint.name, sprint.finish_date, sprint.id)
        if releases and team_id is not None:
            for name, when in contracts.team_releases(self.session, team_id).items():
                if name.casefold() == text.casefold():
                    return Target("release", name, when)
        team = self.team(owner)
        whose = f"{possessive(team)} sprints" if team else "the item's team's sprints"
        known = ", ".join(s.name for s in sprints[:6]) or "none known yet"
        forms = "a date (YYYY-MM-DD)" + (" or a release" if releases else "")
        raise Refused(f"'{text}' is not one of {whose} ({known}), nor {forms}.")

    def need(
        self, command: ContractCommand, contract: Contract, dependent: WorkItem, prerequisite: WorkItem
    ) -> str:
        target = self.target(command.argument, dependent) if command.argument else None
        contract.needed_by = target.finish if target else None
        contract.needed_by_label = target.label if target and target.kind == "sprint" else None
        when = target.text if target else f"{dependent.key}'s planned finish"
        state = "requested" if contract.state in OPEN_TO_ASK else contract.state
        if state == "requested":
            contract.requested_at, contract.requested_by = said_at(command, self.now), author(command)[:200]
        self.move(contract, command, "need", state, {"needed_by": when})
        return f"{author(command)} asked for {prerequisite.key} by {when} for {dependent.key}."

    def commit(
        self, command: ContractCommand, contract: Contract, dependent: WorkItem, prerequisite: WorkItem
    ) -> str:
        target = self.target(command.argument, prerequisite, releases=True)
        team = self.team(prerequisite)
        if not self.deciders.can_decide(team, command):
            self.move(
                contract, command, "proposal", contract.state, {"verb": "commit", "target": target.text}
            )
            return (
                f"{author(command)} proposed {prerequisite.key} for {target.text}; only "
                f"{self.deciders.who(team)} can commit or decline for {team}: the contract stays {contract.state}."
            )
        contract.committed_kind, contract.committed_label = target.kind, target.label
        contract.committed_date, contract.committed_iteration_id = target.finish, target.iteration_id
        contract.committed_by, contract.answered_at = author(command)[:200], said_at(command, self.now)
        self.move(contract, command, "commit", "committed", {"committed": target.text})
        return (
            f"{author(command)} committed {prerequisite.key} ({team}) for {target.text} to {dependent.key}."
        )

    def propose(
        self, command: ContractCommand, contract: Contract, dependent: WorkItem, prerequisite: WorkItem
    ) -> str:
        target = self.target(command.argument, prerequisite)
        standing = contract.state in PROMISED
        self.move(
            contract,
            command,
            "propose",
            contract.state if standing else "proposed",
            {"proposed": target.text},
        )
        tail = (
            f" The commitment ({contract.committed_label or contract.committed_date}) stands until "
            f"{self.deciders.who(self.team(prerequisite))} commits again."
            if standing
            else ""
        )
        return f"{author(command)} proposed {prerequisite.key} for {target.text}.{tail}"

    def decline(
        self, command: ContractCommand, contract: Contract, dependent: WorkItem, prerequisite: WorkItem
    ) -> str:
        if not command.argument:
            raise Refused("Say why: /poalign decline <reason>.")
        team = self.team(prerequisite)
        if not self.deciders.can_decide(team, command):
            self.move(
                contract, command, "proposal", contract.state, {"verb": "decline", "reason": command.argument}
            )
            return (
                f"{author(command)} suggested declining {prerequisite.key}; only {self.deciders.who(team)} can "
                f"commit or decline for {team}: the contract stays {contract.state}."
            )
        contract.committed_kind = contract.committed_label = contract.committed_by = None
        contract.committed_date, contract.committed_iteration_id = None, None
        contract.answered_at = said_at(command, self.now)
        self.move(contract, command, "decline", "declined", {"reason": command.argument})
        return f"{author(command)} declined {prerequisite.key} for {dependent.key}: {command.argument}"

    def accept(self, command: ContractCommand, item: WorkItem) -> str:
        if not command.argument:
            raise Refused("Say why: /poalign accept <reason>.")
        team = self.team(item)
        if not self.deciders.can_decide(team, command):
            raise Refused(f"Only {self.deciders.who(team)} can accept findings on {item.key}.")
        rows = [
            row for row in findings.active_concerning(self.session, [item.id], ()) if row.status == "open"
        ]
        by = f"{author(command)} on {item.key}"[:200]
        for row in rows:
            row.status, row.suppressed_reason, row.suppressed_until, row.suppressed_by = (
                "suppressed",
                command.argument,
                None,
                by,
            )
            findings.record_event(
                self.session, row, "suppressed", self.now, {"reason": command.argument, "by": by}
            )
        self.summary.touched.add(item.id)
        return f"{author(command)} accepted {len(rows)} finding(s) on {item.key}: {command.argument}"

    def move(
        self, contract: Contract, command: ContractCommand, action: str, state: str, detail: dict[str, str]
    ) -> None:
        ref = contracts.refs_of(self.session, [command.item_id]).get(command.item_id, "?")
        contracts.move(
            self.session,
            contract,
            action,
            state,
            said_at(command, self.now),
            origin="comment",
            actor=author(command),
            origin_ref=f"{ref}#{command.comment_id}",
            detail={**detail, "argument": command.argument},
        )


def apply_pending(session: Session, config: Config, now: datetime, summary: ApplySummary) -> None:
    applier = _Applier(session, config, now, summary)
    for command in contracts.pending_commands(session, lock=True):
        try:
            command.outcome, command.status = applier.apply(command), "applied"
            summary.applied += 1
        except Refused as refusal:
            command.outcome, command.status = str(refusal), "refused"
            summary.refused += 1
        command.applied_at = now
        session.flush()


def refresh_states(session: Session, config: Config, now: datetime, summary: ApplySummary) -> None:
    """Judge every standing commitment against the tracker's plan, and move its state to match."""
    standing = [row for row in contracts.every(session) if row.state in PROMISED]
    if not standing:
        return
    policy = build_policy(config)
    items = load_items(session, {row.prerequisite_item_id for row in standing})
    sprints = contracts.iterations_by_id(
        session, [r.committed_iteration_id for r in standing if r.committed_iteration_id]
    )
    for row in standing:
        prerequisite = items.get(row.prerequisite_item_id)
        if prerequisite is None:
            continue
        promise = Commitment("", prerequisite.ref, row.state, finish=promised_finish(row, sprints))
        plan = planned_finish(prerequisite)
        verdict = commitment_verdict(promise, prerequisite, plan, now.date(), policy)
        state = _AFTER_VERDICT.get(verdict or "", "committed") if verdict else None
        if state is None or state == row.state:
            continue
        detail = {"verdict": verdict or "", "planned_finish": plan.finish.isoformat() if plan else ""}
        contracts.move(session, row, verdict or "kept", state, now, origin="sync", detail=detail)
        summary.state_changes += 1
        summary.touched.update((row.dependent_item_id, row.prerequisite_item_id))


def apply_commands(
    factory: sessionmaker[Session], config: Config, now: datetime | None = None
) -> ApplySummary:
    """Apply the pending comment commands and refresh the contracts' states, in one transaction, one
    process at a time (replicas take turns: two would race to open the same contract)."""
    summary = ApplySummary()
    now = now or utcnow()
    engine = factory.kw["bind"]
    with locks.exclusive(engine, "contracts", wait=True), factory.begin() as session:
        apply_pending(session, config, now, summary)
        refresh_states(session, config, now, summary)
        contracts.touch_items(session, summary.touched)
    if summary.applied or summary.refused or summary.state_changes:
        log.info(
            "contracts.applied",
            applied=summary.applied,
            refused=summary.refused,
            state_changes=summary.state_changes,
        )
    return summary
