"""Run the rules and keep the findings' lifecycle in the store.

A full evaluation judges every finding; an incremental one (after a webhook or a small sync) applies
the changed items to a cached snapshot and judges only the findings in the rules' focus. Either way a
stored finding in scope that the rules no longer produce is resolved, so the store always says what the
trackers say now. Findings of a rule that crashed are left untouched: a bug must not look like a fix.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from rules.base import Rule
from rules.engine import EvaluationResult, apply_and_focus, evaluate
from rules.finding import Finding as RuleFinding
from rules.model import Focus
from rules.snapshot import Snapshot
from service import tracing
from service.config.schema import Config
from service.logs import get_logger
from service.rule_inputs import build_policy, load_changes, load_commitments, load_snapshot
from service.store import findings, items
from service.store.base import utcnow
from service.store.findings import ACTIVE, FindingFilter
from service.store.models import Finding

log = get_logger(__name__)


@dataclass
class EvaluationSummary:
    mode: str
    findings: int = 0
    new: int = 0
    changed: int = 0
    reopened: int = 0
    resolved: int = 0
    escalated: int = 0
    suppressed: int = 0
    errors: list[str] = field(default_factory=list)
    changed_fingerprints: list[str] = field(default_factory=list)


def content_hash(finding: RuleFinding) -> str:
    text = json.dumps(
        [
            str(finding.severity),
            finding.message,
            finding.action,
            finding.decider,
            list(finding.teams),
            dict(finding.evidence),
        ],
        sort_keys=True,
        default=str,
    )
    return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()


def _label_suppression(snapshot: Snapshot, finding: RuleFinding, label: str) -> str | None:
    for ref in finding.subjects:
        item = snapshot.get(ref)
        if item is not None and label in item.labels:
            return f"label {label} on {item.key}"
    return None


def reconcile(
    session: Session,
    snapshot: Snapshot,
    result: EvaluationResult,
    focus: Focus | None,
    config: Config,
    now: datetime,
) -> EvaluationSummary:
    summary = EvaluationSummary(mode="full" if focus is None else "incremental")
    summary.errors = [f"{error.rule}: {error.error}" for error in result.errors]
    clean_rules = set(result.rules)
    produced = {finding.fingerprint: finding for finding in result.findings if finding.rule in clean_rules}
    summary.findings = len(produced)

    if focus is None:
        known = {row.fingerprint: row for row in findings.matching(session, FindingFilter())}
        active = {fp: row for fp, row in known.items() if row.status in ACTIVE}
    else:
        in_focus = items.ids_by_ref(session, focus.refs).values()
        active = {
            row.fingerprint: row for row in findings.active_concerning(session, list(in_focus), focus.teams)
        }
        known = findings.by_fingerprints(session, produced)

    subject_refs = {ref for finding in produced.values() for ref in finding.subjects}
    ids = items.ids_by_ref(session, subject_refs)
    label = config.policy.suppress_label
    for fingerprint, finding in produced.items():
        row = known.get(fingerprint)
        digest = content_hash(finding)
        by_label = _label_suppression(snapshot, finding, label)
        if row is None:
            row = Finding(
                fingerprint=fingerprint,
                rule=finding.rule,
                name=finding.name,
                category=finding.category,
                first_seen=now,
                status="open",
            )
            _copy(row, finding, digest, now)
            findings.add(session, row, (ids[ref] for ref in finding.subjects if ref in ids))
            findings.record_event(session, row, "opened", now, {"severity": str(finding.severity)})
            summary.new += 1
            summary.changed_fingerprints.append(fingerprint)
        else:
            if row.status == "resolved":
                row.status, row.resolved_at, row.escalated_at = "open", None, None
                row.first_seen = now  # a problem that comes back starts its escalation clock again
                findings.record_event(session, row, "reopened", now, {})
                summary.reopened += 1
                summary.changed_fingerprints.append(fingerprint)
            elif row.content_hash != digest:
                findings.record_event(session, row, "changed", now, {"severity": str(finding.severity)})
                summary.changed += 1
                summary.changed_fingerprints.append(fingerprint)
            _copy(row, finding, digest, now)
        _apply_suppression(session, row, by_label, now, summary)

    for fingerprint, row in active.items():
        if fingerprint in produced or row.rule not in clean_rules:
            continue
        row.status, row.resolved_at = "resolved", now
        findings.record_event(session, row, "resolved", now, {})
        summary.resolved += 1
        summary.changed_fingerprints.append(fingerprint)

    summary.escalated = escalate(session, config.policy.escalation_days, config.chief_product_owner, now)
    return summary


def _copy(row: Finding, finding: RuleFinding, digest: str, now: datetime) -> None:
    row.severity, row.message, row.action = str(finding.severity), finding.message, finding.action
    row.decider, row.subjects, row.team_scope = finding.decider, list(finding.subjects), finding.team_scope
    row.teams, row.product_owners = list(finding.teams), list(finding.product_owners)
    row.evidence, row.content_hash, row.last_seen = dict(finding.evidence), digest, now


def _apply_suppression(
    session: Session, row: Finding, by_label: str | None, now: datetime, summary: EvaluationSummary
) -> None:
    if row.status == "suppressed":
        expired = row.suppressed_until is not None and row.suppressed_until <= now
        label_gone = row.suppressed_by == "label" and by_label is None
        if expired or label_gone:
            row.status, row.suppressed_reason, row.suppressed_until, row.suppressed_by = (
                "open",
                None,
                None,
                None,
            )
            findings.record_event(
                session, row, "unsuppressed", now, {"why": "expired" if expired else "label removed"}
            )
    elif by_label is not None and row.status == "open":
        row.status, row.suppressed_reason, row.suppressed_by = "suppressed", by_label, "label"
        findings.record_event(session, row, "suppressed", now, {"reason": by_label, "by": "label"})
        summary.suppressed += 1


def escalate(session: Session, after_days: int, chief: str | None, now: datetime) -> int:
    """Open findings older than the escalation period go to the Chief PO (once)."""
    rows = findings.due_for_escalation(session, now - timedelta(days=after_days))
    for row in rows:
        row.escalated_at = now
        findings.record_event(session, row, "escalated", now, {"to": chief})
    return len(rows)


def suppress(
    session: Session, fingerprint: str, reason: str, until: datetime | None, by: str, now: datetime
) -> Finding:
    row = findings.by_fingerprint(session, fingerprint)
    if row is None:
        raise LookupError(f"no finding with fingerprint {fingerprint}")
    row.status, row.suppressed_reason, row.suppressed_until, row.suppressed_by = (
        "suppressed",
        reason,
        until,
        by,
    )
    findings.record_event(
        session,
        row,
        "suppressed",
        now,
        {"reason": reason, "until": until.isoformat() if until else None, "by": by},
    )
    return row


def unsuppress(session: Session, fingerprint: str, by: str, now: datetime) -> Finding:
    row = findings.by_fingerprint(session, fingerprint)
    if row is None:
        raise LookupError(f"no finding with fingerprint {fingerprint}")
    if row.status == "suppressed":
        row.status, row.suppressed_reason, row.suppressed_until, row.suppressed_by = "open", None, None, None
        findings.record_event(session, row, "unsuppressed", now, {"by": by})
    return row


class Evaluator:
    """Keeps one snapshot per process and feeds it the store's changes (by change sequence).

    Several processes can each hold one: each reads the deltas from the database, so replicas agree.
    """

    def __init__(self, factory: sessionmaker[Session], config: Config) -> None:
        self.factory = factory
        self.config = config
        self.snapshot: Snapshot | None = None
        self.last_seq = 0
        self._lock = threading.Lock()

    def _today(self) -> date:
        return utcnow().date()

    @tracing.traced("evaluate.full")
    def full(self, rules: Sequence[type[Rule]] | None = None) -> tuple[EvaluationSummary, EvaluationResult]:
        with self._lock, self.factory.begin() as session:
            self.snapshot, self.last_seq = load_snapshot(session, self.config, self._today())
            result = evaluate(self.snapshot, rules)
            summary = reconcile(session, self.snapshot, result, None, self.config, utcnow())
        self._log(summary)
        return summary, result

    @tracing.traced("evaluate.incremental")
    def incremental(self) -> EvaluationSummary | None:
        """Apply what changed since the last look and judge only its focus. None when nothing changed."""
        with self._lock:
            if self.snapshot is None or self.snapshot.today != self._today():
                self.snapshot = None
        if self.snapshot is None:
            return self.full()[0]
        with self._lock, self.factory.begin() as session:
            items, edges, last = load_changes(session, self.last_seq)
            if not items:
                return None
            # A contract that changed touched its two items (service.store.contracts.touch_items), so
            # they are among the changes; the contracts are few and read whole.
            focus = apply_and_focus(self.snapshot, items, (), edges, commitments=load_commitments(session))
            self.last_seq = last
            result = evaluate(self.snapshot, None, focus)
            summary = reconcile(session, self.snapshot, result, focus, self.config, utcnow())
        self._log(summary)
        return summary

    def reconfigure(self, config: Config) -> None:
        with self._lock:
            self.config = config
            if self.snapshot is not None:
                self.snapshot.reconfigure(policy=build_policy(config))

    @staticmethod
    def _log(summary: EvaluationSummary) -> None:
        counts = {"findings": summary.findings, "new": summary.new, "resolved": summary.resolved}
        tracing.record(mode=summary.mode, errors=len(summary.errors), **counts)
        log.info(
            "evaluate.done",
            mode=summary.mode,
            findings=summary.findings,
            new=summary.new,
            resolved=summary.resolved,
            errors=len(summary.errors),
        )
        for error in summary.errors:
            log.error("evaluate.rule_failed", error=error)
