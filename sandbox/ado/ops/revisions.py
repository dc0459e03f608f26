"""What every ADO write shares: its error, the service-hook event it returns, the revision it commits
(with an organization-wide watermark), and the watermarks a freshly loaded world gets.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from ...formats import ado_ts, parse_ts
from ..org import AdoOrg, WorkItem

READ_ONLY = {
    "system.id",
    "system.rev",
    "system.teamproject",
    "system.watermark",
    "system.authorizeddate",
    "system.reviseddate",
    "system.commentcount",
    "system.areaid",
    "system.iterationid",
    "system.nodename",
    "system.personid",
    "system.authorizedas",
}
BYPASS_WRITABLE = {"system.changeddate", "system.createddate", "system.changedby", "system.createdby"}


class AdoOpError(Exception):
    def __init__(self, status: int, message: str, type_key: str = "WorkItemTrackingException") -> None:
        super().__init__(status, message)
        self.status = status
        self.message = message
        self.type_key = type_key


@dataclass
class AdoEvent:
    org: str
    name: (
        str  # workitem.created | workitem.updated | workitem.deleted | workitem.restored | workitem.commented
    )
    item: WorkItem
    update_index: int | None = None  # index into item.revisions of the revision this event is about
    comment: dict | None = None
    actor: dict | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def normalize_tags(value: Any) -> str:
    if value is None:
        return ""
    parts = [p.strip() for p in str(value).split(";")]
    seen: dict[str, str] = {}
    for p in parts:
        if p and p.lower() not in seen:
            seen[p.lower()] = p
    return "; ".join(seen.values())


def stamp(org: AdoOrg, wi: WorkItem | None, now: datetime) -> datetime:
    if wi is not None and wi.changed is not None and now <= wi.changed:
        now = wi.changed + timedelta(milliseconds=1)
    return now


def commit_revision(
    org: AdoOrg,
    wi: WorkItem,
    fields: dict,
    relations: list[dict],
    actor: dict | None,
    now: datetime,
    first: bool = False,
) -> int:
    """Store a new revision (copy-on-write: older revisions keep their dicts)."""
    now = stamp(org, wi, now)
    ts = ado_ts(now)
    if not first:
        wi.rev += 1
    fields["System.Rev"] = wi.rev
    fields["System.ChangedDate"] = ts
    fields["System.AuthorizedDate"] = ts
    fields["System.RevisedDate"] = "9999-01-01T00:00:00Z"
    if actor is not None:
        fields["System.ChangedBy"] = actor
        fields["System.AuthorizedAs"] = actor
    wm = org.next_watermark()
    fields["System.Watermark"] = wm
    wi.fields = fields
    wi.relations = relations
    wi.changed = now
    wi.revisions.append({"rev": wi.rev, "fields": fields, "relations": relations, "watermark": wm})
    org.rev_log.append((wm, wi.id, len(wi.revisions) - 1))
    wi.version += 1
    org.version += 1
    return len(wi.revisions) - 1


def assign_watermarks(org: AdoOrg) -> None:
    """Give every loaded revision a watermark in ChangedDate order (what reporting revisions pages on)."""
    entries = []
    for wi in org.items.values():
        for i, r in enumerate(wi.revisions):
            d = parse_ts(r["fields"].get("System.ChangedDate"))
            entries.append((d.timestamp() if d else 0.0, wi.id, r["rev"], wi, i))
    for wi in org.recycle.values():
        for i, r in enumerate(wi.revisions):
            d = parse_ts(r["fields"].get("System.ChangedDate"))
            entries.append((d.timestamp() if d else 0.0, wi.id, r["rev"], wi, i))
    entries.sort(key=lambda e: (e[0], e[1], e[2]))
    org.rev_log = []
    for _ts, _id, _rev, wi, i in entries:
        wm = org.next_watermark()
        wi.revisions[i]["watermark"] = wm
        org.rev_log.append((wm, wi.id, i))
        if i == len(wi.revisions) - 1:
            wi.fields.setdefault("System.Watermark", wm)
