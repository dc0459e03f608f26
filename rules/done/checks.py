"""Evaluating Definition-of-Done checks, and how well each team meets them in practice.

Shared by DOD001 (single items) and DOD002 (team-level divergence), so an item and its team are
always judged by the same code.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import timedelta

from rules.model import DodCheck, Item, Policy, is_delivered, normalize_name
from rules.snapshot import Snapshot

_FRACTION = re.compile(r"(\d+)\s*/\s*(\d+)")
_TICKED_KEYS = ("checked", "ischecked", "complete", "completed", "done", "resolved")


def is_recent(snapshot: Snapshot, item: Item) -> bool:
    """Done within `done_lookback_days`: years-old done items are history, not a conversation.

    Judged by when the item was done (`done_at`); trackers that do not say fall back to the last update,
    which later edits (poalign's own labels and comments among them) can move.
    """
    days = snapshot.policy.done_lookback_days
    when = item.done_at or item.updated
    if days is None or when is None:
        return True
    cutoff = snapshot.memo("lookback_cutoff", lambda: snapshot.today - timedelta(days=days), plan_free=True)
    return when.date() >= cutoff


def judged_done(snapshot: Snapshot, item: Item) -> bool:
    """Delivered (done and not won't-do) and recent: the items a Definition of Done applies to."""
    return is_delivered(item, snapshot.policy) and is_recent(snapshot, item)


def effective_dod(policy: Policy, team: str | None) -> tuple[DodCheck, ...]:
    """The team's configured Definition of Done if it has one, else the shared one."""
    return policy.team_dod.get(team, policy.dod) if team is not None else policy.dod


def _present(value: object) -> bool:
    if value is None:
        return False
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, Collection):
        return len(value) > 0
    return True  # numbers, including 0, are a filled-in field


def _entry_ticked(entry: object) -> bool:
    if isinstance(entry, Mapping):
        for key, value in entry.items():
            if str(key).lower() in _TICKED_KEYS:
                return bool(value)
        state = entry.get("state") or entry.get("status")
        return isinstance(state, str) and normalize_name(state) in ("done", "complete", "checked")
    if isinstance(entry, str):
        return not entry.lstrip().startswith("[ ]")
    return bool(entry)


def checklist_complete(value: object) -> bool:
    """Tolerant reading of checklist fields: a bool, "3/5", "[x] a\\n[ ] b", a list of entries, or
    {"total": n, "completed": m}. A missing checklist is not complete."""
    if value is None or isinstance(value, bool):
        return bool(value)
    if isinstance(value, str):
        fraction = _FRACTION.fullmatch(value.strip())
        if fraction:
            return int(fraction[1]) >= int(fraction[2])
        return bool(value.strip()) and "[ ]" not in value
    if isinstance(value, Mapping):
        total, ticked = value.get("total"), value.get("completed", value.get("checked"))
        if isinstance(total, int) and isinstance(ticked, int):
            return ticked >= total
        if "items" in value:
            return checklist_complete(value["items"])
        return all(bool(v) for v in value.values())
    if isinstance(value, list | tuple):
        return all(_entry_ticked(entry) for entry in value)
    return bool(value)


def passes(check: DodCheck, item: Item, snapshot: Snapshot) -> bool:
    kind = check.kind
    if kind == "field_present":
        return _present(item.fields.get(check.field_name or ""))
    if kind == "story_points_set":
        return item.story_points is not None
    if kind == "resolution_in":
        return item.resolution is not None and normalize_name(item.resolution) in check.values
    if kind == "label_present":
        return any(normalize_name(label) in check.values for label in item.labels)
    if kind == "no_open_children":
        return not any(
            (c := snapshot.get(ref)) is not None and c.is_open for ref in snapshot.children(item.ref)
        )
    if kind == "linked_item_type":
        for edge in (*snapshot.edges_from(item.ref), *snapshot.edges_to(item.ref)):
            other = snapshot.get(edge.other(item.ref))
            if other is not None and (
                other.item_type in check.values or normalize_name(other.raw_type) in check.values
            ):
                return True
        return False
    if kind == "checklist_complete":
        return checklist_complete(item.fields.get(check.field_name or ""))
    raise ValueError(f"unknown DoD check kind {kind!r}")


@dataclass(frozen=True, slots=True)
class Compliance:
    """How a team's done items meet each check: counts, and who fails."""

    met: Mapping[DodCheck, int]
    total: Mapping[DodCheck, int]
    failing: Mapping[DodCheck, tuple[str, ...]]

    def practised(self, check: DodCheck, policy: Policy) -> bool:
        """Part of the team's de-facto DoD, or too few done items to tell (then it is expected)."""
        total = self.total.get(check, 0)
        if total < policy.dod_inference_min_items:
            return True
        return self.met.get(check, 0) / total >= policy.dod_inference_threshold

    def may_flip(self, check: DodCheck, policy: Policy, changed: int) -> bool:
        """Whether changing up to `changed` of the team's items could flip `practised`.

        Conservative: True unless every reachable (met, total) gives the same answer. Lets the
        incremental neighbourhood stay small when a team is far from the threshold.
        """
        met, total = self.met.get(check, 0), self.total.get(check, 0)
        low_total = max(0, total - changed)
        can_practise = low_total < policy.dod_inference_min_items or (
            min(met + changed, max(low_total, 1)) / max(low_total, 1) >= policy.dod_inference_threshold
        )
        high_total = total + changed
        can_neglect = high_total >= policy.dod_inference_min_items and (
            max(0, met - changed) < policy.dod_inference_threshold * high_total
        )
        return can_practise and can_neglect


def team_compliance(snapshot: Snapshot, team: str | None) -> Compliance:
    def compute() -> Compliance:
        policy = snapshot.policy
        checks = dict.fromkeys((*policy.dod, *effective_dod(policy, team)))
        met = dict.fromkeys(checks, 0)
        total = dict.fromkeys(checks, 0)
        failing: dict[DodCheck, list[str]] = {check: [] for check in checks}
        for ref in snapshot.team_refs(team):
            item = snapshot.items[ref]
            if not judged_done(snapshot, item):
                continue
            for check in checks:
                if check.applies(item):
                    total[check] += 1
                    if passes(check, item, snapshot):
                        met[check] += 1
                    else:
                        failing[check].append(ref)
        return Compliance(met, total, {c: tuple(sorted(refs)) for c, refs in failing.items()})

    return snapshot.memo(("dod_compliance", team), compute, plan_free=True)


def dod_neighbours(snapshot: Snapshot, refs: Collection[str]) -> set[str]:
    """Items whose checks read the given items: their parents when a check looks at open children,
    linked items when a check looks at linked item types (the default DoD does neither)."""
    policy = snapshot.policy
    kinds = {check.kind for checks in (policy.dod, *policy.team_dod.values()) for check in checks}
    parents, linked = "no_open_children" in kinds, "linked_item_type" in kinds
    found: set[str] = set()
    for ref in refs:
        item = snapshot.get(ref)
        if parents and item is not None and item.parent is not None:
            found.add(item.parent)
        if linked:
            found.update(edge.other(ref) for edge in (*snapshot.edges_from(ref), *snapshot.edges_to(ref)))
    return found
