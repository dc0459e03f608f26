"""How a Jira issue's type, status category and resolution are read from the site's structure rather
than its words: hierarchy levels and the subtask flag, `untranslatedName`, status ids in the site's
status list, resolution ids; the English names and the config's `types`/`status_categories`/
`resolutions` only where the structure cannot tell."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from connectors.parsing import mapping, text, whole
from connectors.records import ItemType, StateCategory
from connectors.settings import Vocabulary
from connectors.vocabulary import Tally, english_type, known_resolution_name, plain_name, resolution_delivered

CATEGORY: Mapping[str, StateCategory] = {"new": "todo", "indeterminate": "in_progress", "done": "done"}
# 'undefined' (No Category) is how Jira marks statuses outside the three real categories.
_KNOWN_CATEGORIES = frozenset({*CATEGORY, "undefined"})
ENGLISH_TYPES: Mapping[str, ItemType] = {
    "epic": "epic",
    "initiative": "epic",
    "feature": "feature",
    "new feature": "feature",
    "story": "story",
    "user story": "story",
    "improvement": "story",
    "task": "task",
    "sub-task": "task",
    "subtask": "task",
    "technical task": "task",
    "bug": "bug",
    "defect": "bug",
}
# The resolutions a new site is created with: id → (English name, delivered). A site that translated or
# renamed one still has its id.
CLOUD_RESOLUTIONS: Mapping[str, tuple[str, bool]] = {
    "10000": ("Done", True),
    "10001": ("Won't Do", False),
    "10002": ("Duplicate", False),
    "10003": ("Cannot Reproduce", False),
}
DATACENTER_RESOLUTIONS: Mapping[str, tuple[str, bool]] = {
    "1": ("Fixed", True),
    "2": ("Won't Fix", False),
    "3": ("Duplicate", False),
    "4": ("Incomplete", False),
    "5": ("Cannot Reproduce", False),
}


@dataclass(frozen=True)
class IssueType:
    """One entry of GET issuetype: what the site says of a type besides its (translated) name."""

    name: str
    untranslated: str | None = None
    level: int | None = None
    subtask: bool = False

    @classmethod
    def of(cls, entry: Mapping[str, Any]) -> IssueType:
        return cls(
            name=text(entry.get("name")) or "",
            untranslated=text(entry.get("untranslatedName")),
            level=_level(entry.get("hierarchyLevel")),
            subtask=entry.get("subtask") is True,
        )


def _level(value: Any) -> int | None:
    level = whole(value)
    return level if level is not None and -10 <= level <= 10 else None


@dataclass(frozen=True)
class SiteVocabulary:
    """The site's lists (by id) and the source's config, for the normalizer."""

    config: Vocabulary = field(default_factory=Vocabulary)
    types: Mapping[str, IssueType] = field(default_factory=dict)  # issue type id → what the site says
    status_categories: Mapping[str, str] = field(default_factory=dict)  # status id or plain name → key
    cloud: bool = True

    @classmethod
    def from_site(
        cls,
        config: Vocabulary,
        types: Iterable[Any],
        statuses: Iterable[Any],
        *,
        cloud: bool,
    ) -> SiteVocabulary:
        by_id = {
            str(entry["id"]): IssueType.of(entry)
            for entry in types
            if isinstance(entry, Mapping) and text(entry.get("id"))
        }
        categories: dict[str, str] = {}
        for status in statuses:
            key = text(mapping(mapping(status).get("statusCategory")).get("key"))
            if key not in _KNOWN_CATEGORIES:
                continue
            assert key is not None
            if status_id := text(mapping(status).get("id")):
                categories[status_id] = key
            if name := text(mapping(status).get("name")):
                categories.setdefault(plain_name(name), key)
        return cls(config, by_id, categories, cloud)

    def _override(self, name: str) -> ItemType | None:
        plain = plain_name(name)
        return next((kind for given, kind in self.config.types.items() if plain_name(given) == plain), None)

    def item_type(self, issuetype: Mapping[str, Any], tally: Tally | None = None) -> ItemType:
        """Config first (it names what structure cannot: story or bug at one level), then the subtask flag
        and hierarchy level, then the untranslated and the shown name; 'other' (counted) when none tells."""
        listed = self.types.get(text(issuetype.get("id")) or "")
        name = text(issuetype.get("name")) or (listed.name if listed else "")
        if (configured := self._override(name)) is not None:
            return configured
        untranslated = text(issuetype.get("untranslatedName")) or (listed.untranslated if listed else None)
        by_name = english_type(untranslated, ENGLISH_TYPES) if untranslated else None
        by_name = by_name or english_type(name, ENGLISH_TYPES)
        level = _level(issuetype.get("hierarchyLevel"))
        level = level if level is not None else (listed.level if listed else None)
        if (
            issuetype.get("subtask") is True
            or (listed and listed.subtask)
            or (level is not None and level < 0)
        ):
            return "task"
        if level is not None and level >= 1:
            return by_name if by_name in ("epic", "feature") else "epic"
        if by_name is not None:
            return by_name
        if tally is not None:
            tally.count("type", name or "?")
        return "other"

    def state_category(self, status: Mapping[str, Any], tally: Tally | None = None) -> StateCategory:
        """The issue's own status category; else the site's status list (by id, then name); else the
        config's mapping; else to do, counted."""
        key = text(mapping(status.get("statusCategory")).get("key"))
        name = text(status.get("name")) or ""
        if key is None or key not in _KNOWN_CATEGORIES:
            key = self.status_categories.get(text(status.get("id")) or "") or self.status_categories.get(
                plain_name(name)
            )
        if key is not None:
            return CATEGORY.get(key, "todo")
        plain = plain_name(name)
        configured = next(
            (kind for given, kind in self.config.status_categories.items() if plain_name(given) == plain),
            None,
        )
        if configured is not None:
            return configured
        if tally is not None:
            tally.count("status", name or "?")
        return "todo"

    def delivered(self, resolution: Mapping[str, Any], tally: Tally | None = None) -> bool | None:
        """True/False when the config or a default id says; None for a name the rules judge (counted when
        it is not an English name either)."""
        name = text(resolution.get("name"))
        if name is None and text(resolution.get("id")) is None:
            return None
        defaults = CLOUD_RESOLUTIONS if self.cloud else DATACENTER_RESOLUTIONS
        answer = resolution_delivered(self.config, text(resolution.get("id")), name, defaults)
        if answer is None and tally is not None and not known_resolution_name(name or ""):
            tally.count("resolution", name or "?")
        return answer
