"""DEP007: a dependency points at an item the store does not know."""

from __future__ import annotations

from collections.abc import Iterator

from rules.base import DEPENDENCIES, Rule, focus_refs
from rules.finding import Finding
from rules.model import DEPENDS_ON, Focus, Severity
from rules.snapshot import Snapshot
from rules.text import who, whose_po


class DanglingDependency(Rule):
    """A dependency points at an item poalign does not know, so nothing can be checked about it.

    The other item was not synced, lies in a tracker or project poalign has no access to, or never
    existed. Only open items are reported: a done item's dangling link no longer blocks anyone.
    The unknown ref is one of the finding's subjects, so the finding resolves once the item is
    synced.

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
            message = (
                f"{who(snapshot, known)} {relation}, which poalign cannot see: it is not synced, "
                f"poalign has no access to it, or it does not exist."
            )
            action = (
                f"{whose_po(known)}: check that {missing} exists and that poalign syncs its tracker, or remove "
                f"the link from {known.key} if it is stale."
            )
            evidence = {
                "known": known.ref,
                "missing": missing,
                "direction": "depends_on" if dependent else "blocks",
            }
            yield self.finding(snapshot, (dependent_ref, prerequisite_ref), message, action, evidence)
