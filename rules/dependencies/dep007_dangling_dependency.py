"""DEP007: a dependency points at an item the store does not know."""

from __future__ import annotations

from collections.abc import Collection, Iterator

from rules.base import DEPENDENCIES, Rule, focus_refs
from rules.finding import Finding
from rules.links import alias_hint, unresolved_url_refs
from rules.model import DEPENDS_ON, Focus, Severity
from rules.snapshot import Snapshot
from rules.text import who, whose_po


class DanglingDependency(Rule):
    """A dependency points at an item poalign does not know, so nothing can be checked about it.

    The other item was not synced, lies in a tracker or project poalign has no access to, or never
    existed. Only open items are reported: a done item's dangling link no longer blocks anyone.
    The unknown ref is one of the finding's subjects, so the finding resolves once the item is
    synced. When the link is a URL on a host poalign does not sync, but ends like the URL of an
    item it does sync (".../browse/PAY-12" on another base URL), the finding says which alias the
    source lacks (`rules.links`): a starter config without `aliases` is the usual cause.

    **Anti-pattern**

    PAY-12 (Payments) is blocked by "jira-core:CORE-77", a project poalign's token cannot read:
    whether CORE-77 is planned, dropped or done stays invisible to both POs and to every other rule.

    **Best practice**

    CORE-77's project is added to poalign's sources (or the token gets read access), or the stale
    link is removed from PAY-12.
    """

    code = "DEP007"
    name = "dangling-dependency"
    category = DEPENDENCIES
    default_severity = Severity.LOW

    def evaluate(self, snapshot: Snapshot, focus: Focus | None) -> Iterator[Finding]:
        pairs = snapshot.resolved_pairs(DEPENDS_ON, focus_refs(focus))
        for dependent_ref, prerequisite_ref, dependent, prerequisite in pairs:
            if (dependent is None) == (prerequisite is None):
                continue  # both known (other rules judge them) or both unknown (nobody to tell)
            known = dependent or prerequisite
            assert known is not None
            if not known.is_open:
                continue
            if dependent is not None:
                missing = prerequisite_ref
                relation = f"depends on {missing}"
            else:
                missing = dependent_ref
                relation = f"is recorded as a prerequisite of {missing}"
            evidence: dict[str, object] = {
                "known": known.ref,
                "missing": missing,
                "direction": "depends_on" if dependent else "blocks",
            }
            hint = alias_hint(snapshot, missing)
            if hint is None:
                message = (
                    f"{who(snapshot, known)} {relation}, which poalign cannot see: it is not synced, "
                    f"poalign has no access to it, or it does not exist."
                )
                action = (
                    f"{whose_po(known)}: check that {missing} exists and that poalign syncs its tracker, or "
                    f"remove the link from {known.key} if it is stale."
                )
            else:
                message = (
                    f"{who(snapshot, known)} {relation}, a URL poalign does not recognise; it most likely "
                    f"means {hint.item.key}, which poalign syncs from source {hint.source} under another URL."
                )
                action = (
                    f"poalign's admin: add alias {hint.alias} to source {hint.source} "
                    f"(`aliases` in poalign.yaml), so that links by that URL resolve."
                )
                evidence |= {"likely": hint.item.ref, "add_alias": hint.alias, "to_source": hint.source}
            yield self.finding(snapshot, (dependent_ref, prerequisite_ref), message, action, evidence)

    def neighbourhood(self, snapshot: Snapshot, refs: Collection[str]) -> Focus:
        # A dangling URL's hint names an item found by key: it changes when such an item changes.
        keys = {item.key.casefold() for ref in refs if (item := snapshot.get(ref)) is not None}
        return Focus(refs=unresolved_url_refs(snapshot, keys))
