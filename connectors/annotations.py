"""What write-back hands to a tracker: a finding as plain data, and the marker that identifies our comments.

The marker is visible text inside every comment poalign writes: `[poalign:<fingerprint>]`. It survives
every format (ADF, wiki markup, markdown) and every read-back (ADO returns HTML, Jira v2 returns wiki
text), so with a lost database we still recognise our comments and never post one twice.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from connectors.errors import RetryableTrackerError

MARKER_RE = re.compile(r"\[poalign:([0-9a-f]{16})\]")


_LINK_START = re.compile(r"(?i)^https?://[^\s/?#]+")
# Characters that end or break a link in wiki markup ([label|url]), Markdown ((url)) or an HTML
# attribute; URLs with them are legal (an ADO project named "Fabrikam Fiber"), percent-encoded they
# still lead to the same page.
_LINK_UNSAFE = re.compile(r"[\s()\[\]{}|<>\"'`\\^]")


def link_target(url: str | None) -> str | None:
    """`url` ready to be a link in any comment format, or None when it is not an http(s) URL."""
    if not url or not _LINK_START.match(url.strip()):
        return None
    return _LINK_UNSAFE.sub(lambda m: "".join(f"%{b:02X}" for b in m.group().encode()), url.strip())


def marker(fingerprint: str) -> str:
    return f"[poalign:{fingerprint}]"


def fingerprint_in(text: str | None) -> str | None:
    match = MARKER_RE.search(text or "")
    return match.group(1) if match else None


@dataclass(frozen=True)
class ItemView:
    key: str
    url: str | None
    team: str | None
    product_owner: str | None


@dataclass(frozen=True)
class FindingView:
    fingerprint: str
    rule: str
    name: str
    severity: str
    message: str
    action: str
    items: tuple[ItemView, ...]
    decider: str | None = None
    escalated: bool = False
    resolved_on: date | None = None
    # the best plan that clears this clash ("move CHK-21 to CHK Sprint 20 — clears this and 1 other;
    # ..."), without the "Suggested: " lead; None when there is none or the rule is no clash
    suggestion: str | None = None
    # a finding accepted (suppressed) by a PO: who, why and until when, said in place of "resolved"
    accepted_by: str | None = None
    accepted_reason: str | None = None
    accepted_until: date | None = None

    @property
    def headline(self) -> str:
        return f"poalign · {self.severity} · {self.rule} {self.name}"

    @property
    def resolved_text(self) -> str:
        when = self.resolved_on.isoformat() if self.resolved_on else "today"
        if self.accepted_by is not None:
            until = f" until {self.accepted_until.isoformat()}" if self.accepted_until else ""
            # a marker look-alike in the reason would pass for this comment's own marker on read-back
            why = MARKER_RE.sub("", " ".join((self.accepted_reason or "").split()))[:300]
            return (
                f"Accepted on {when} by {self.accepted_by}{until}: {self.rule} {self.name} is known and "
                f"left as planned." + (f" Why: {why}" if why else "")
            )
        return f"Resolved on {when}: {self.rule} {self.name} no longer applies to these items."

    def owner_line(self, item: ItemView) -> str:
        who = ", ".join(
            part for part in (item.team, f"PO {item.product_owner}" if item.product_owner else None) if part
        )
        return f"{item.key} ({who})" if who else item.key

    @property
    def escalation_text(self) -> str | None:
        if self.escalated and self.decider:
            return f"Open too long: escalated to the Chief PO, {self.decider}."
        if self.decider:
            return f"If the POs disagree, {self.decider} decides at the next PO sync."
        return None


SUGGESTED = "Suggested: "

FOOTER = "Kept up to date by poalign: this comment changes when the plans change."
REPLY_FOOTER = "poalign's answer to /poalign commands on this item; it changes when the contract does."


@dataclass(frozen=True)
class ReplyView:
    """poalign's one reply on an item about its dependency contracts: where each stands, and what came of
    the `/poalign ...` commands said on it and on the other items of its contracts (oldest first)."""

    fingerprint: str
    key: str
    contracts: tuple[str, ...]
    said: tuple[str, ...]

    @property
    def headline(self) -> str:
        return f"poalign · dependency contracts of {self.key}"


POST_ATTEMPTS = 3


def post_once(post: Callable[[], str], find: Callable[[], str | None], attempts: int = POST_ATTEMPTS) -> str:
    """Create a comment at most once. `post` is sent again only after an answer that proves it was not
    acted on (its client retries those); after a reset, a timeout or a cut-off answer the comment may
    exist already, so `find` (our marker on the item) is asked before the next try."""
    for attempt in range(attempts):
        try:
            return post()
        except RetryableTrackerError:
            found = find()
            if found is not None:
                return found
            if attempt == attempts - 1:
                raise
    raise AssertionError("unreachable")
