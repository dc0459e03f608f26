"""Write-back, planning: keep each open finding's comment and each category's owned label on the items it concerns.

`plan` turns the findings table into desired annotations (one row per item and slot); `deliver` makes
the trackers match, through the connectors, with the sync's retry policy and a per-tracker write rate.
Idempotent: a desire already delivered sends nothing. Reversible: a resolved finding's comment becomes a
"resolved" note (or is deleted) and a label goes when no open finding of its category remains on the
item. Labels and tags poalign does not own are never touched. Comments carry a marker, so after a lost
database or a crash between the tracker's answer and our commit, delivery finds them instead of posting
twice.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from connectors.annotations import FindingView, ItemView
from connectors.registry import tracker
from rules.model import Severity
from rules.planning.suggest import CLASH_RULES
from rules.registry import by_code
from service import tracing
from service.annotate.replies import replies
from service.config.loader import LoadedConfig
from service.config.schema import Config
from service.owned_labels import CATEGORY_LABELS
from service.store import annotations as outbox
from service.store import findings as stored_findings
from service.store import items as stored_items
from service.store import runs, teams
from service.store.base import utcnow
from service.store.findings import FindingFilter
from service.store.models import FINDING_STATUSES, Annotation, Finding, WorkItem
from service.suggested_moves import comment_suggestions


@dataclass(frozen=True)
class Change:
    """One write the trackers will see, as `annotate --dry-run` lists it."""

    source: str
    key: str
    action: str  # post | edit | resolve | delete | label+ | label-
    detail: str


@dataclass
class AnnotateSummary:
    changes: list[Change] = field(default_factory=list)
    delivered: int = 0
    failed: int = 0
    requests: int = 0
    errors: list[str] = field(default_factory=list)


def writeback_sources(config: Config) -> set[str]:
    enabled = set()
    for source in config.sources:
        on = source.writeback.enabled if source.writeback.enabled is not None else config.writeback.enabled
        if on:
            enabled.add(source.name)
    return enabled


def _digest(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()


def _wants_writeback(row: Finding, threshold: Severity) -> bool:
    try:
        stable = by_code(row.rule).status == "stable"  # preview rules are looked at before they talk
    except KeyError:
        stable = False
    return row.status == "open" and stable and Severity.parse(row.severity) >= threshold


class _Views:
    """Builds FindingViews (what a comment shows) from stored rows, with the lookups shared per plan."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.sources = runs.source_names(session)
        self.teams = {row.id: (row.name, row.product_owner) for row in teams.by_id(session).values()}
        self.items: dict[str, WorkItem] = {}

    def load_items(self, refs: set[str]) -> None:
        self.items.update(stored_items.by_refs(self.session, refs - set(self.items)))

    def view(
        self,
        row: Finding,
        *,
        resolved: bool = False,
        suggestion: str | None = None,
        accepted_at: datetime | None = None,
    ) -> FindingView:
        """`resolved`: the note that replaces the comment; for a suppressed finding (`accepted_at`, when it
        was accepted) the note says who accepted it, why and until when, dated by the acceptance so it
        stays the same text from one run to the next."""
        items = []
        for ref in row.subjects:
            item = self.items.get(ref)
            team, owner = (
                self.teams.get(item.team_id, (None, None)) if item and item.team_id else (None, None)
            )
            items.append(
                ItemView(
                    key=ref.partition(":")[2], url=item.url if item else None, team=team, product_owner=owner
                )
            )
        return FindingView(
            fingerprint=row.fingerprint,
            rule=row.rule,
            name=row.name,
            severity=row.severity,
            message=row.message,
            action=row.action,
            items=tuple(items),
            decider=row.decider,
            escalated=row.escalated_at is not None,
            resolved_on=(accepted_at or row.resolved_at or utcnow()).date() if resolved else None,
            suggestion=None if resolved else suggestion,
            **(_accepted(row) if resolved and accepted_at is not None else {}),
        )


def _accepted(row: Finding) -> dict[str, Any]:
    return {
        "accepted_by": row.suppressed_by or "a PO",
        "accepted_reason": row.suppressed_reason,
        "accepted_until": row.suppressed_until.date() if row.suppressed_until else None,
    }


@tracing.traced("annotate.plan", result=lambda changes: {"changes": len(changes)})
def plan(
    session: Session,
    loaded: LoadedConfig,
    *,
    deployments: Mapping[str, str | None] | None = None,
    only_sources: Sequence[str] = (),
) -> list[Change]:
    """Bring the outbox in line with the findings; returns the writes still to deliver.

    `deployments` says per source what its tracker is (Jira: cloud or datacenter), which decides the
    comment format; a source not in it gets its kind's default.
    """
    config = loaded.config
    deployments = deployments or {}
    kinds = {source.name: source.kind for source in config.sources}

    def render(source: str, view: FindingView) -> str:
        """The body as the tracker will get it, as text (stored, hashed, handed to the writer)."""
        return tracker(kinds[source]).renderer.comment(view, deployments.get(source))

    sources = {name for name in kinds if not only_sources or name in only_sources}
    threshold = Severity.parse(config.writeback.min_severity)
    prefix = config.writeback.label_prefix
    views = _Views(session)
    source_ids = {name: source_id for source_id, name in views.sources.items()}
    wanted_sources = {source_ids[name] for name in sources if name in source_ids}

    findings = stored_findings.matching(session, FindingFilter(statuses=FINDING_STATUSES))
    active = [row for row in findings if _wants_writeback(row, threshold)]
    views.load_items({ref for row in active for ref in row.subjects})
    existing = outbox.on_sources(session, wanted_sources)
    # Both names are bound by several loops below; the later lookups may find nothing.
    row: Finding | None
    annotation: Annotation | None

    # one search for the whole run: the best plan of each clash cluster, said under each of its clashes
    clashes = [row.fingerprint for row in active if row.rule in CLASH_RULES]
    suggestions = comment_suggestions(session, config, utcnow().date(), clashes)
    desired: dict[tuple[int, str], dict[str, Any]] = {}
    for row in active:
        view = views.view(row, suggestion=suggestions.get(row.fingerprint))
        for ref in row.subjects:
            item = views.items.get(ref)
            if item is None or item.deleted or item.source_id not in wanted_sources:
                continue
            body = render(views.sources[item.source_id], view)
            desired[(item.id, f"comment:{row.fingerprint}")] = {
                "kind": "comment",
                "finding_id": row.id,
                "desired": "present",
                "body": body,
                "label": None,
            }
            label = prefix + CATEGORY_LABELS.get(row.category, row.category)
            desired[(item.id, f"label:{label}")] = {
                "kind": "label",
                "finding_id": None,
                "desired": "present",
                "body": None,
                "label": label,
            }

    # poalign's answers to comment commands: one reply per item with a contract or a command
    for reply in replies(session):
        item = stored_items.by_id(session, reply.item_id)
        if item is None or item.source_id not in wanted_sources:
            continue
        source = views.sources[item.source_id]
        body = tracker(kinds[source]).renderer.reply(reply.view, deployments.get(source))
        desired[(item.id, f"comment:{reply.view.fingerprint}")] = {
            "kind": "comment",
            "finding_id": None,
            "desired": "present",
            "body": body,
            "label": None,
        }

    by_id = {row.id: row for row in findings}
    accepted_at = stored_findings.suppressed_on(session, [r.id for r in findings if r.status == "suppressed"])
    for (item_id, slot), annotation in existing.items():
        if (item_id, slot) in desired or (
            annotation.desired == "absent" and annotation.status == "delivered"
        ):
            continue
        if annotation.is_label:
            desired[(item_id, slot)] = {
                "kind": "label",
                "finding_id": None,
                "desired": "absent",
                "body": None,
                "label": annotation.label,
            }
            continue
        # A comment whose finding is resolved, suppressed or below the threshold: one never posted, or
        # one the config says to delete (or whose finding is gone), must be absent; else it says resolved.
        row = by_id.get(annotation.finding_id or -1)
        if annotation.external_id is None or config.writeback.on_resolved == "delete" or row is None:
            desired[(item_id, slot)] = {
                "kind": "comment",
                "finding_id": annotation.finding_id,
                "desired": "absent",
                "body": None,
                "label": None,
            }
        else:
            item = stored_items.by_id(session, item_id)
            assert item is not None  # annotations go with their item (ON DELETE CASCADE)
            note = views.view(row, resolved=True, accepted_at=accepted_at.get(row.id))
            body = render(views.sources[item.source_id], note)
            desired[(item_id, slot)] = {
                "kind": "comment",
                "finding_id": row.id,
                "desired": "resolved",
                "body": body,
                "label": None,
            }

    changes: list[Change] = []
    keys = {item.id: (views.sources[item.source_id], item.key) for item in views.items.values()}
    for (item_id, slot), want in desired.items():
        target = f"{want['desired']}:{_digest(want['body']) if want['body'] else ''}"
        annotation = existing.get((item_id, slot))
        if annotation is None:
            if want["desired"] == "absent":
                continue
            annotation = Annotation(item_id=item_id, slot=slot, kind=want["kind"], label=want["label"])
            outbox.add(session, annotation)
        annotation.finding_id = (
            want["finding_id"] if want["finding_id"] is not None else annotation.finding_id
        )
        annotation.desired, annotation.body = want["desired"], want["body"]
        annotation.body_hash = target
        if annotation.delivered_hash == target or (
            want["desired"] == "absent" and annotation.external_id is None and not annotation.is_label
        ):
            annotation.status = "delivered" if annotation.delivered_hash == target else "skipped"
            continue
        if annotation.status != "pending":
            annotation.status, annotation.attempts, annotation.next_attempt_at = "pending", 0, None
        if item_id not in keys:
            item = stored_items.by_id(session, item_id)
            if item is not None:
                keys[item_id] = (views.sources[item.source_id], item.key)
        source, key = keys.get(item_id, ("?", "?"))
        changes.append(Change(source, key, _action(annotation), slot.partition(":")[2]))
    session.flush()
    return sorted(changes, key=lambda c: (c.source, c.key, c.action, c.detail))


def _action(annotation: Annotation) -> str:
    if annotation.is_label:
        return "label+" if annotation.desired == "present" else "label-"
    if annotation.desired == "absent":
        return "delete"
    if annotation.desired == "resolved":
        return "resolve"
    return "edit" if annotation.external_id else "post"
