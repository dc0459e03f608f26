"""Phrases shared by the rules' messages, so every finding names items, teams and POs the same way.

Everything is deterministic: month names are spelled here rather than by the locale, and lists are
sorted by the caller.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from rules.model import Item, Policy
from rules.plans import COMMITMENT, ITERATION, RELEASE, Plan
from rules.snapshot import Snapshot

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
STATE_WORDS = {"todo": "to do", "in_progress": "in progress", "done": "done", "removed": "removed"}


def day(value: date, today: date) -> str:
    """ "4 Dec", with the year only when it is not the current one."""
    text = f"{value.day} {_MONTHS[value.month - 1]}"
    return text if value.year == today.year else f"{text} {value.year}"


_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def on_day(moment: datetime, today: date) -> str:
    """ "Tue 1 Dec": a change by the weekday people remember it by, and its day."""
    return f"{_WEEKDAYS[moment.weekday()]} {day(moment.date(), today)}"


def label(snapshot: Snapshot, ref: str) -> str:
    """How people call an item: its tracker key; an unknown ref as it is."""
    item = snapshot.get(ref)
    return item.key if item is not None else ref


def team_po(snapshot: Snapshot, team: str | None) -> str:
    """ "Payments, PO Alice Smith", "Payments", or "no team"."""
    if team is None:
        return "no team"
    known = snapshot.teams.get(team)
    return f"{team}, PO {known.product_owner}" if known and known.product_owner else team


def team_named(snapshot: Snapshot, team: str) -> str:
    """ "Payments (PO Alice Smith)" for running text."""
    known = snapshot.teams.get(team)
    return f"{team} (PO {known.product_owner})" if known and known.product_owner else team


def who(snapshot: Snapshot, item: Item) -> str:
    """ "PAY-12 (Payments, PO Alice Smith)"."""
    return f"{item.key} ({team_po(snapshot, item.team)})"


def possessive(name: str) -> str:
    return f"{name}'" if name.endswith("s") else f"{name}'s"


def whose_po(item: Item) -> str:
    """The person to address: "Platform's PO" (or the item's owner when it has no team)."""
    return f"{possessive(item.team)} PO" if item.team else f"the owner of {item.key}"


def settle(policy: Policy) -> str:
    """The escalation clause that ends a cross-team action."""
    if policy.chief_product_owner:
        return f"if you disagree, the Chief PO {policy.chief_product_owner} decides at the next PO sync."
    return "if you disagree, settle it at the next PO sync."


def plan_text(plan: Plan, today: date) -> str:
    """What follows "planned for": "Sprint 14 ending 4 Dec", "4 Dec (target date)"."""
    when = day(plan.finish, today)
    if plan.basis == ITERATION:
        return f"{plan.label} ending {when}"
    if plan.basis == RELEASE and plan.label:
        return f"release {plan.label} on {when}"
    if plan.basis == COMMITMENT:
        return f"{plan.label} ending {when} (committed)" if plan.label else f"{when} (committed)"
    return f"{when} ({plan.basis})"


def priority_text(item: Item) -> str:
    """ "priority 1 (Highest)"; the tracker's own name helps the PO find the field."""
    if item.raw_priority and item.raw_priority != str(item.priority):
        return f"priority {item.priority} ({item.raw_priority})"
    return f"priority {item.priority}"


def join_words(words: Sequence[str]) -> str:
    """ "A", "A and B", "A, B and C"."""
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} and {words[-1]}"


def few(words: Sequence[str], limit: int = 5) -> str:
    """At most `limit` names, then how many more: messages stay one readable sentence."""
    if len(words) <= limit:
        return join_words(words)
    return f"{', '.join(words[:limit])} and {len(words) - limit} more"
