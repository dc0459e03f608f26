"""The bounds a full sync is measured against: the requests it cannot do without, and their time.

Needed per Jira site: discovery (serverInfo, then the fields, the account's time zone, the issue
types, statuses, priorities and resolutions, and one versions call per project), the id listing
(5,000 ids a page on Cloud, 1,000 on Data Center), detail batches (100 issues on Cloud, 1,000 on
Data Center), and one remote-link read per issue that has web links: the reads the world really
needs, not one per issue. Per Azure DevOps organization: discovery (OPTIONS,
ResourceAreas), then per project the iteration tree and the backlog configuration, the WIQL windows
of 20,000 ids, one states call per backlog-level or item type, batches of 200 and the recycle bin.
Plan history adds nothing here: Jira's changelog comes embedded in the detail pages, and a first sync
reads no Azure DevOps updates (an incremental one asks them of changed items in a dependency only).

Time: a request that depends on an earlier answer (serverInfo before anything, Cloud's token pages
one after another) is its own round; independent requests share rounds of `concurrency`. Sources
and an organization's projects sync in parallel, so the time bound is the slowest one's. Wall time
cannot beat it however fast the code is.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

JIRA_ID_PAGE = {"cloud": 5000, "dc": 1000}
# Issues a detail page holds with their fields: Cloud's search/jql serves 100, Data Center its page size
JIRA_DETAIL_BATCH = {"cloud": 100, "dc": 1000}
ADO_WIQL_WINDOW = 20000
ADO_BATCH = 200


@dataclass(frozen=True)
class Step:
    requests: int
    serial: bool  # each waits for the answer before it; else all at once, `concurrency` at a time

    def rounds(self, concurrency: int) -> int:
        return self.requests if self.serial else math.ceil(self.requests / concurrency)


@dataclass(frozen=True)
class SourcePlan:
    """Discovery first; then branches (an ADO organization's projects) that run side by side."""

    discovery: tuple[Step, ...]
    branches: tuple[tuple[Step, ...], ...]

    @property
    def requests(self) -> int:
        return sum(s.requests for s in self.discovery) + sum(s.requests for b in self.branches for s in b)

    def rounds(self, concurrency: int) -> int:
        return sum(s.rounds(concurrency) for s in self.discovery) + max(
            (sum(s.rounds(concurrency) for s in branch) for branch in self.branches), default=0
        )


def web_linked_issues(site: Any) -> int:
    return sum(1 for issue in site.issues.values() if issue.remote_links)


def jira_plan(site: Any) -> SourcePlan:
    n = len(site.issues)
    projects = len({issue.project_key for issue in site.issues.values()})
    cloud = (site.deployment or "Cloud").lower() == "cloud"
    listing = math.ceil(n / JIRA_ID_PAGE["cloud" if cloud else "dc"])
    details = math.ceil(n / JIRA_DETAIL_BATCH["cloud" if cloud else "dc"]) + web_linked_issues(site)
    # fields, myself, the issue types, statuses, priorities and resolutions, and each project's versions
    discovery = (Step(1, serial=True), Step(6 + projects, serial=False))
    if cloud:  # token pages strictly one after another, then the details all in parallel
        return SourcePlan(discovery, ((Step(listing, serial=True), Step(details, serial=False)),))
    # Data Center pages by offset: after the first listing page the rest can go in parallel
    return SourcePlan(discovery, ((Step(1, serial=True), Step(listing - 1 + details, serial=False)),))


# The categories of a project's backlog levels (portfolio, requirement, task): their types' states are
# read with the backlog configuration; other types' states when an item of them shows up.
BACKLOG_CATEGORIES = frozenset(
    {
        "Microsoft.EpicCategory",
        "Microsoft.FeatureCategory",
        "Microsoft.RequirementCategory",
        "Microsoft.TaskCategory",
    }
)


def ado_plan(org: Any) -> SourcePlan:
    branches = []
    for project in org.projects.values():
        ids = [i for i, item in org.items.items() if item.project == project.name]
        types = {org.items[i].fields.get("System.WorkItemType") for i in ids}
        levels = {
            t for t, c in project.type_categories.items() if c in BACKLOG_CATEGORIES and t in project.types
        }
        windows = math.ceil(len(ids) / ADO_WIQL_WINDOW)
        set_up = Step(2, serial=False)  # the iteration tree and the backlog configuration
        parallel = len(types | levels) + math.ceil(len(ids) / ADO_BATCH) + 1
        branches.append((set_up, Step(windows, serial=True), Step(parallel, serial=False)))
    return SourcePlan((Step(2, serial=True),), tuple(branches))


def plans(world: Any) -> list[SourcePlan]:
    return [jira_plan(s) for s in world.jira.values()] + [ado_plan(o) for o in world.ado.values()]


def requests_needed(world: Any) -> int:
    return sum(plan.requests for plan in plans(world))


def lower_bound_s(world: Any, concurrency: int, latency_ms: float) -> float:
    return max(plan.rounds(concurrency) for plan in plans(world)) * latency_ms / 1000
