"""A project's backlog configuration (GET {project}/_apis/work/backlogconfiguration) → the item type of
each work item type it places: the portfolio levels are epics and features, the requirement level
stories, the task level tasks, whatever the process (Agile, Scrum, CMMI, Basic or an inherited one
with renamed or invented types) calls them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connectors.parsing import entries, mapping, text, whole
from connectors.records import ItemType

_EPICS = "Microsoft.EpicCategory"
_FEATURES = "Microsoft.FeatureCategory"
_BACKLOGS: tuple[tuple[str, ItemType], ...] = (("requirementBacklog", "story"), ("taskBacklog", "task"))


def _types(level: Mapping[str, Any]) -> list[str]:
    names = [text(mapping(entry).get("name")) for entry in entries(level.get("workItemTypes"))]
    default = text(mapping(level.get("defaultWorkItemType")).get("name"))
    return [name for name in (*names, default) if name]


def _portfolio_kind(level: Mapping[str, Any], feature_rank: int | None) -> ItemType:
    """Epic and Feature by their category; an added level above the features (an 'Initiative') is an
    epic, one below them a feature; without a feature level every portfolio level is an epic."""
    category = text(level.get("id"))
    if category == _EPICS:
        return "epic"
    if category == _FEATURES:
        return "feature"
    rank = whole(level.get("rank"))
    return "feature" if feature_rank is not None and rank is not None and rank < feature_rank else "epic"


def backlog_levels(configuration: Mapping[str, Any]) -> dict[str, ItemType]:
    """Work item type name → item type, for every type the backlog levels name (the first level that
    names a type decides)."""
    found: dict[str, ItemType] = {}
    portfolio = [mapping(level) for level in entries(configuration.get("portfolioBacklogs"))]
    feature_rank = next(
        (whole(level.get("rank")) for level in portfolio if text(level.get("id")) == _FEATURES), None
    )
    for level in portfolio:
        kind = _portfolio_kind(level, feature_rank)
        for name in _types(level):
            found.setdefault(name, kind)
    for key, backlog_kind in _BACKLOGS:
        for name in _types(mapping(configuration.get(key))):
            found.setdefault(name, backlog_kind)
    return found
