"""ROA002: work another team's epic depends on, under no epic of the product's roadmap."""

from __future__ import annotations

from collections.abc import Collection, Iterator

from rules.base import ROADMAP, Rule
from rules.finding import Finding
from rules.model import DEPENDS_ON, Focus, Item, Severity, is_dropped
from rules.roadmap.tree import ROADMAP_TYPES, ancestors, descendants
from rules.snapshot import Snapshot
from rules.text import few, label, possessive, settle, who, whose_po


def roadmap_parent(snapshot: Snapshot, item: Item) -> Item | None:
    """The item itself when it is an epic or feature, else its nearest epic or feature above it."""
    if item.item_type in ROADMAP_TYPES:
        return item
    return next((a for a in ancestors(snapshot, item) if a.item_type in ROADMAP_TYPES), None)


class OrphanedCrossTeamWork(Rule):
    """A story is linked by a dependency into another team's epic or feature, but sits under no epic
    of the product's roadmap: the work that epic needs is planned where its roadmap does not show it.

    The roadmap is the epics and features named in `policy.roadmap_epics` (keys or refs), or, when
    that is empty, every epic and feature poalign syncs; an epic that is dropped does not count.
    Stories, tasks and bugs are judged, open and owned by a known team; the other end of the
    dependency (either direction) belongs to another team's epic or feature when it is one or sits
    under one; both that item and its epic are still open (done work waits for nothing, and a done
    or dropped epic plans nothing any more).

    **Anti-pattern**

    SHOP-30 (Storefront) is a prerequisite of PAY-31 in Payments' epic PAY-1 "Wallet", but SHOP-30
    has no epic. Payments' roadmap shows PAY-1 on track; Storefront's roadmap does not show SHOP-30
    at all, so it is the first thing cut when Storefront's plans change.

    **Best practice**

    SHOP-30 goes under a Storefront epic of the roadmap (or PAY-1 itself), so both POs plan it where
    they plan the epic it serves.
    """

    code = "ROA002"
    name = "orphaned-cross-team-work"
    category = ROADMAP
    default_severity = Severity.LOW

    def _on_roadmap(self, snapshot: Snapshot, item: Item) -> bool:
        wanted = self.policy.roadmap_epics
        for parent in ancestors(snapshot, item):
            if parent.item_type not in ROADMAP_TYPES or is_dropped(parent, self.policy):
                continue
            if not wanted or parent.key.casefold() in wanted or parent.ref.casefold() in wanted:
                return True
        return False

    def evaluate(self, snapshot: Snapshot, focus: Focus | None) -> Iterator[Finding]:
        if focus is None:
            candidates: Collection[str] = snapshot.items
        else:
            # A focus item may be the story, or the other end whose epic decides the story's finding.
            wanted = set(focus.refs)
            for a, b in snapshot.pairs(DEPENDS_ON, focus.refs):
                wanted |= {a, b}
            candidates = wanted
        for ref in sorted(candidates):
            story = snapshot.get(ref)
            if story is None or story.team is None or not story.is_open:
                continue
            if story.item_type in ROADMAP_TYPES or story.item_type == "other":
                continue
            links = self._links_into_other_epics(snapshot, story)
            if links and not self._on_roadmap(snapshot, story):
                yield self._finding(snapshot, story, links)

    def _links_into_other_epics(self, snapshot: Snapshot, story: Item) -> list[tuple[Item, Item, bool]]:
        """(other item, its epic/feature, whether the story depends on it) per link into another team's epic."""
        found = []
        for dependent, prerequisite in snapshot.pairs(DEPENDS_ON, (story.ref,)):
            other = snapshot.get(prerequisite if dependent == story.ref else dependent)
            if other is None or other.ref == story.ref or not other.is_open:  # done work waits for nothing
                continue
            epic = roadmap_parent(snapshot, other)
            if epic is None or not epic.is_open or epic.team is None:
                continue  # a done or dropped epic has no plan left to show the work in
            if epic.team != story.team:
                found.append((other, epic, dependent == story.ref))
        return sorted(found, key=lambda entry: entry[0].ref)

    def _finding(self, snapshot: Snapshot, story: Item, links: list[tuple[Item, Item, bool]]) -> Finding:
        parts = []
        for other, epic, depends in links:
            verb = "depends on" if depends else "is a prerequisite of"
            if other.ref == epic.ref:
                parts.append(f"{verb} {epic.item_type} {who(snapshot, epic)}")
            else:
                parts.append(
                    f"{verb} {who(snapshot, other)} in {possessive(epic.team or '')} {epic.item_type} {epic.key}"
                )
        epics = sorted({epic.key for _, epic, _ in links})
        message = (
            f"{who(snapshot, story)} {few(parts)}, but sits under no epic of the roadmap: "
            f"the plan of {few(epics)} does not show the work it needs from {story.team}."
        )
        owners = sorted({f"{possessive(epic.team)} PO" for _, epic, _ in links if epic.team})
        action = (
            f"{whose_po(story)}: put {label(snapshot, story.ref)} under an epic of the roadmap ({' or '.join(epics)}, "
            f"or one of your own that serves it), agreed with {' and '.join(owners)}; {settle(self.policy)}"
        )
        evidence: dict[str, object] = {
            "linked": [other.ref for other, _, _ in links],
            "epics": sorted({epic.ref for _, epic, _ in links}),
            "parent": story.parent,
        }
        subjects = (story.ref, *(other.ref for other, _, _ in links))
        return self.finding(snapshot, subjects, message, action, evidence)

    def neighbourhood(self, snapshot: Snapshot, refs: Collection[str]) -> Focus:
        # An epic's team, type or state decides the findings of everything under it, and of the
        # stories linked to anything under it (those are subjects too).
        under = set(refs)
        for ref in refs:
            under |= set(descendants(snapshot, ref))
        found = set(under)
        for a, b in snapshot.pairs(DEPENDS_ON, under):
            found |= {a, b}  # the story on the other end lists this one among its subjects
        return Focus(refs=frozenset(found))
