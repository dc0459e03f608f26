"""A small Jira world for planning: Payments (PAY) and Checkout (CHK) on one Cloud site, two-week
sprints per team (two finished, one running, four ahead), estimated stories, and the clash the
acceptance of issue 17 is about: PAY-11, planned for Payments' next sprint, depends on CHK-21, which
Checkout plans two sprints later (a DEP001).

`planning_world(seed)` adds `extra` random stories per team, planned in random sprints or not at
all, and random Blocks links within and across the teams, so property tests get a different plan
each time around the same pair. Every sprint ahead holds a 2-point story: poalign knows a Jira
sprint from the issues in it, and a team's plan fills its coming sprints. The dates are relative to `now` (default: the real clock), because
`poalign check` judges plans against today.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from sandbox.formats import agile_ts, jira_ts
from sandbox.jira.defaults import (
    DEFAULT_ISSUE_TYPES,
    DEFAULT_LINK_TYPES,
    DEFAULT_PRIORITIES,
    DEFAULT_STATUSES,
)
from sandbox.jira.site import JiraLink, JiraSite
from sandbox.jira.vendor_json import finish_site, ingest_issue
from sandbox.world import World
from sandbox.world_files import LoadReport

SITE = "acme"
SOURCE = "jira-acme"
TEAMS = {"PAY": ("Payments", "Priya Natarajan", 11), "CHK": ("Checkout", "Chen Wei", 12)}
SPRINTS = 7  # per team: 0-1 closed, 2 active, 3-6 future
ACTIVE = 2
PAIR = ("PAY-11", "CHK-21")  # dependent, prerequisite


def sprint_name(project: str, index: int) -> str:
    return f"{project} Sprint {index + 1}"


def _status(category: str) -> dict[str, Any]:
    return next(dict(s) for s in DEFAULT_STATUSES if s["statusCategory"]["key"] == category)


class _Builder:
    def __init__(self, now: datetime) -> None:
        self.now = now
        self.site = JiraSite(name=SITE, deployment="Cloud", base_url=f"https://{SITE}.atlassian.net")
        self.site.link_types = [dict(t) for t in DEFAULT_LINK_TYPES]
        self.site.priorities = [dict(p) for p in DEFAULT_PRIORITIES]
        for status in DEFAULT_STATUSES:
            self.site.statuses[status["id"]] = dict(status)
        monday = (now - timedelta(days=now.weekday())).replace(hour=9, minute=0, second=0, microsecond=0)
        self.sprints: dict[str, list[int]] = {}
        self.next_id = 10100
        for offset, (project, (team, lead, board)) in enumerate(TEAMS.items()):
            self.site.projects[project] = {
                "id": str(10000 + board),
                "key": project,
                "name": team,
                "lead": {"displayName": lead},
                "versions": [],
                "issueTypes": [dict(t) for t in DEFAULT_ISSUE_TYPES],
            }
            self.site.boards[board] = {
                "id": board,
                "name": f"{project} board",
                "type": "scrum",
                "projectKey": project,
            }
            ids = []
            for index in range(SPRINTS):
                # the teams' sprints start on different weekdays, as real teams' do
                start = monday + timedelta(days=14 * (index - ACTIVE) + offset)
                sprint_id = board * 100 + index
                state = "closed" if index < ACTIVE else "active" if index == ACTIVE else "future"
                sprint = {
                    "id": sprint_id,
                    "name": sprint_name(project, index),
                    "state": state,
                    "originBoardId": board,
                    "startDate": agile_ts(start),
                    "endDate": agile_ts(start + timedelta(days=12)),
                    "goal": "",
                }
                if state == "closed":
                    sprint["completeDate"] = agile_ts(start + timedelta(days=12, hours=8))
                self.site.sprints[sprint_id] = sprint
                ids.append(sprint_id)
            self.sprints[project] = ids

    def story(
        self, key: str, sprint: int | None, points: float, *, done: bool = False, priority: int = 3
    ) -> None:
        project = key.split("-")[0]
        self.next_id += 1
        created = self.now - timedelta(days=60)
        fields: dict[str, Any] = {
            "issuetype": dict(DEFAULT_ISSUE_TYPES[1]),
            "project": {"id": self.site.projects[project]["id"], "key": project, "name": TEAMS[project][0]},
            "summary": f"Story {key}",
            "status": _status("done" if done else "new"),
            "priority": dict(DEFAULT_PRIORITIES[priority - 1]),
            "labels": [],
            "resolution": {"id": "10000", "name": "Done"} if done else None,
            "resolutiondate": jira_ts(self.now - timedelta(days=3)) if done else None,
            "created": jira_ts(created),
            "updated": jira_ts(created + timedelta(days=1)),
            "description": f"Work item {key}.",
            "customfield_10016": points,
            "customfield_10019": f"0|i{self.next_id:05d}:",
        }
        if sprint is not None:
            fields["sprint"] = dict(self.site.sprints[self.sprints[project][sprint]])
        ingest_issue(self.site, {"id": str(self.next_id), "key": key, "fields": fields})

    def blocks(self, prerequisite: str, dependent: str) -> None:
        source, dest = self.site.by_key[prerequisite], self.site.by_key[dependent]
        self.site.add_link(
            JiraLink(
                id=self.site.new_link_id(),
                type=dict(self.site.link_types[0]),
                source_id=source.id,
                source_key=source.key,
                dest_id=dest.id,
                dest_key=dest.key,
            )
        )


def planning_world(seed: int | None = None, *, extra: int = 0, now: datetime | None = None) -> World:
    """The pair (and, with `extra`, random stories and links around it) as a sandbox world."""
    rng = random.Random(seed)
    build = _Builder((now or datetime.now(UTC)).astimezone(UTC))
    for project in TEAMS:
        for index in range(ACTIVE):  # finished work: 8 points per sprint, the trailing velocity
            for n in range(2):
                build.story(f"{project}-{index * 2 + n + 1}", index, 4, done=True)
        for index in range(ACTIVE, SPRINTS):  # planned work in every sprint ahead (poalign learns
            build.story(f"{project}-{50 + index}", index, 2)  # a Jira sprint from its issues)
    build.story(PAIR[0], ACTIVE + 1, 3)  # Payments' next sprint
    build.story(PAIR[1], ACTIVE + 3, 5)  # two sprints after it
    keys = {project: [] for project in TEAMS}  # type: dict[str, list[str]]
    for project in TEAMS:
        for n in range(extra):
            key = f"{project}-{30 + n}"
            sprint = rng.choice([None, ACTIVE, ACTIVE + 1, ACTIVE + 2, ACTIVE + 3, ACTIVE + 4])
            build.story(key, sprint, float(rng.choice((1, 2, 3, 5))), priority=rng.randint(1, 5))
            keys[project].append(key)
    everyone = [*keys["PAY"], *keys["CHK"], *PAIR]
    for _ in range(extra):
        dependent, prerequisite = rng.sample(everyone, 2)
        build.blocks(prerequisite, dependent)
    build.blocks(PAIR[1], PAIR[0])
    finish_site(build.site)
    world = World(report=LoadReport())
    world.jira[SITE] = build.site
    world.poalign = {
        "chief_product_owner": "Sofia Lindqvist",
        "sources": [{"name": SOURCE, "kind": "jira"}],
        "teams": [
            {"name": team, "product_owner": po, "source": SOURCE, "scope": {"project": project}}
            for project, (team, po, _board) in TEAMS.items()
        ],
    }
    return world
