"""A tracker's own words (type, status, resolution and priority names are tracker text: translated,
renamed, invented by each organisation) and what poalign makes of them when the tracker's structure
does not say: the English defaults, the config's per-source vocabulary, and a tally of whatever stayed
unclassified, said once per name with the config line that fixes it."""

from __future__ import annotations

import json
import re
import threading
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Literal

from connectors.records import ItemType
from connectors.settings import Vocabulary

# English resolution names whose meaning is known without the site saying. Not delivered mirrors the
# rules' default dropped set; anything else is delivered by the rules unless the config says otherwise.
DELIVERED_NAMES = frozenset(
    {"done", "fixed", "resolved", "complete", "completed", "implemented", "delivered"}
)
NOT_DELIVERED_NAMES = frozenset(
    {
        "won't do",
        "won't fix",
        "won't implement",
        "duplicate",
        "invalid",
        "cannot reproduce",
        "incomplete",
        "declined",
        "rejected",
        "obsolete",
        "abandoned",
        "withdrawn",
        "out of scope",
        "not a bug",
        "not our bug",
        "needs more info",
        "hold",
        "on hold",
        "cancelled",
        "canceled",
        "removed",
    }
)
# The normalized priority scale: 1 (highest) .. 5 (lowest).
SCALE_LEVELS = 5

Unclassified = Literal["type", "status", "resolution"]
_PLAIN = re.compile(r"^[\w][\w .'&/+-]{0,60}$")
_SHOWN_MAX = 80


def plain_name(value: str) -> str:
    """A comparable form of a tracker name: case, spacing and typographic apostrophes do not matter."""
    return " ".join(value.replace("’", "'").replace("‘", "'").replace("`", "'").lower().split())


def shown(name: str) -> str:
    """A tracker name as a note writes it inside a YAML flow mapping: plain when it is safe to paste, else
    a JSON (so YAML) string, cut short; control characters never reach a terminal."""
    name = name[:_SHOWN_MAX]
    return name if _PLAIN.match(name) and not name.endswith(" ") else json.dumps(name)


def quoted(name: str) -> str:
    """A tracker name as a sentence names it: in quotes, or as a JSON string when it is not plain text."""
    safe = shown(name)
    return f"'{safe}'" if safe == name[:_SHOWN_MAX] else safe


def resolution_delivered(
    vocabulary: Vocabulary,
    resolution_id: str | None,
    name: str | None,
    defaults: Mapping[str, tuple[str, bool]],
) -> bool | None:
    """Whether a resolution means the work was delivered: the config's sets (ids or names) first, then a
    default id whose name is not the English default (translated or renamed: the id still says what it
    is). None when only the name can tell; the rules then judge it by name, as for any English site."""
    plain = plain_name(name) if name else None
    for wanted, answer in ((vocabulary.not_delivered, False), (vocabulary.delivered, True)):
        if (resolution_id and resolution_id.lower() in wanted) or (plain and plain in wanted):
            return answer
    default = defaults.get(resolution_id or "")
    if default is not None and plain != plain_name(default[0]):
        return default[1]
    return None


def known_resolution_name(name: str) -> bool:
    plain = plain_name(name)
    return plain in DELIVERED_NAMES or plain in NOT_DELIVERED_NAMES


def priority_levels(names: Sequence[str]) -> dict[str, int]:
    """A site's priorities, highest first, spread over the normalized scale: five or fewer keep their
    order from 1 (a site with three gets 1, 2, 3); more share levels in proportion (seven: 1 1 2 3 3 4 5)."""
    count = len(names)
    if count <= SCALE_LEVELS:
        return {plain_name(name): position + 1 for position, name in enumerate(names)}
    return {plain_name(name): 1 + position * SCALE_LEVELS // count for position, name in enumerate(names)}


def priority_scale_note(source: str, names: Sequence[str]) -> str | None:
    """The warning for a site with more priority levels than the normalized scale, naming who shares."""
    if len(names) <= SCALE_LEVELS:
        return None
    levels = priority_levels(names)
    shared: dict[int, list[str]] = {}
    for name in names:
        shared.setdefault(levels[plain_name(name)], []).append(shown(name))
    sharing = "; ".join(
        f"{' and '.join(group)} count as {level}" for level, group in shared.items() if len(group) > 1
    )
    return (
        f"the site has {len(names)} priority levels, the normalized scale {SCALE_LEVELS}: {sharing}; "
        f"set `policy.priority_scale: {{{source}: {{...}}}}` to choose the levels"
    )


class Tally:
    """What a source's normalizer could not classify, counted per kind and raw name (thread-safe: the
    workers of one sync share it), and said once per name with the config line that fixes it."""

    def __init__(self, source: str, noun: str = "issues") -> None:
        self.source = source
        self.noun = noun
        self._counts: Counter[tuple[Unclassified, str]] = Counter()
        self._lock = threading.Lock()

    def count(self, what: Unclassified, name: str) -> None:
        with self._lock:
            self._counts[(what, name)] += 1

    def counts(self) -> dict[tuple[Unclassified, str], int]:
        with self._lock:
            return dict(self._counts)

    def notes(self) -> tuple[str, ...]:
        found = []
        for (what, name), number in sorted(self.counts().items(), key=lambda entry: (entry[0][0], -entry[1])):
            found.append(unclassified_note(self.source, what, name, number, self.noun))
        return tuple(found)


def unclassified_note(source: str, what: Unclassified, name: str, number: int | None, noun: str) -> str:
    """One note: how many items (None: the site lists it, no item counted yet) and what to configure."""
    many = f"{number} {noun}" if number is not None else noun.capitalize()
    if what == "type":
        return (
            f"{many} of type {quoted(name)} classified as other: "
            f"add `types: {{{shown(name)}: story}}` (or epic, feature, task, bug) to source {source}"
        )
    if what == "status":
        return (
            f"{many} in status {quoted(name)} without a status category (neither the {noun[:-1]} nor the "
            f"site's status list gives one) counted as to do: add "
            f"`status_categories: {{{shown(name)}: done}}` (or todo, in_progress) to source {source}"
        )
    return (
        f"{many} resolved as {quoted(name)}, which neither its id nor its name classifies, counted as "
        f"delivered: add `resolutions: {{not_delivered: [{shown(name)}]}}` (or delivered) to source {source}"
    )


def english_type(name: str, table: Mapping[str, ItemType]) -> ItemType | None:
    return table.get(plain_name(name))
