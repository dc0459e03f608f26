"""Seeded, realistic edits of the demo world, made the way a person in the tracker makes them.

Each change goes through the sandbox's script API, so the tracker records it (history, `updated`,
revisions) and emits the webhooks it would emit. The mix is what a planning week looks like:
priorities re-ranked, stories moved between sprints/iterations, states moved on, labels and tags,
titles reworded, and dependencies added and removed (the edits that make or break cross-team clashes).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from sandbox import SandboxServer
from sandbox.script import ScriptError

JIRA_SITE, ADO_ORG = "acme", "contoso"
JIRA_PRIORITIES = ("Highest", "High", "Medium", "Low", "Lowest")
JIRA_STATUSES = ("To Do", "In Progress", "In Review", "Done")
PLAIN_LABELS = ("backend", "ux", "tech-debt", "customer-ask")
ADO_STATES = {
    "User Story": ("New", "Active", "Resolved", "Closed"),
    "Feature": ("New", "Active", "Closed"),
    "Epic": ("New", "Active", "Closed"),
}
DEPENDS = "System.LinkTypes.Dependency-Reverse"  # `link(a, DEPENDS, b)`: b is a's predecessor
SINGLE_ITEM = (
    "jira_priority",
    "jira_sprint",
    "jira_status",
    "jira_label",
    "jira_summary",
    "ado_priority",
    "ado_iteration",
    "ado_state",
    "ado_tag",
    "ado_title",
)
LINKS = ("jira_link", "jira_unlink", "ado_link", "ado_unlink")


@dataclass
class Changer:
    """Picks and applies one edit at a time; `kinds` limits the mix (crash runs use single-item edits)."""

    sandbox: SandboxServer
    seed: int = 0
    kinds: tuple[str, ...] = SINGLE_ITEM + LINKS
    made: int = 0
    refused: int = 0
    rng: random.Random = field(init=False)
    jira_links: list[str] = field(default_factory=list)
    ado_links: list[tuple[int, int]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        site = self.sandbox.world.jira_site(JIRA_SITE)
        self.jira_keys = sorted(
            (issue.key for issue in site.issues.values() if issue.key.split("-")[0] in ("PAY", "SHOP")),
            key=lambda key: (key.split("-")[0], int(key.split("-")[1])),
        )
        self.sprints = {
            project: sorted(s["name"] for s in site.sprints.values() if s["name"].startswith(project))
            for project in ("PAY", "SHOP")
        }
        org = self.sandbox.world.ado_org(ADO_ORG)
        self.ado_types = {wid: item.fields["System.WorkItemType"] for wid, item in sorted(org.items.items())}
        self.ado_ids = [wid for wid, kind in self.ado_types.items() if kind in ADO_STATES]
        self.iterations = sorted({item.fields["System.IterationPath"] for item in org.items.values()})

    def one(self) -> str:
        """Make one edit; returns what it did (for the log). A refused edit (say, a workflow rule) counts
        as refused and another is tried, as a person would."""
        for _ in range(20):
            kind = self.rng.choice(self.kinds)
            try:
                done = getattr(self, kind)()
            except ScriptError:
                self.refused += 1
                continue
            if done:
                self.made += 1
                return done
        raise RuntimeError("twenty edits in a row were refused: the world is not the demo world")

    # -- Jira ----------------------------------------------------------------------------------
    def _jira(self) -> Any:
        return self.sandbox.jira(JIRA_SITE)

    def _key(self) -> str:
        return self.rng.choice(self.jira_keys)

    def jira_priority(self) -> str:
        key, value = self._key(), self.rng.choice(JIRA_PRIORITIES)
        self._jira().update(key, priority=value)
        return f"{key} priority {value}"

    def jira_sprint(self) -> str:
        key = self._key()
        sprint = self.rng.choice([*self.sprints[key.split("-")[0]], None])
        self._jira().update(key, sprint=sprint)
        return f"{key} sprint {sprint}"

    def jira_status(self) -> str:
        key, value = self._key(), self.rng.choice(JIRA_STATUSES)
        self._jira().update(key, status=value)
        return f"{key} status {value}"

    def jira_label(self) -> str:
        key, label = self._key(), self.rng.choice(PLAIN_LABELS)
        if self.rng.random() < 0.5:
            self._jira().update(key, labels_add=[label])
            return f"{key} +label {label}"
        self._jira().update(key, labels_remove=[label])
        return f"{key} -label {label}"

    def jira_summary(self) -> str:
        key = self._key()
        summary = f"Reworded by the PO, take {self.rng.randrange(10_000)}"
        self._jira().update(key, summary=summary)
        return f"{key} summary"

    def jira_link(self) -> str:
        blocker, blocked = self.rng.sample(self.jira_keys, 2)
        self.jira_links.append(self._jira().link(blocker, "Blocks", blocked))
        return f"{blocker} blocks {blocked}"

    def jira_unlink(self) -> str:
        if not self.jira_links:
            return self.jira_link()
        link_id = self.jira_links.pop(self.rng.randrange(len(self.jira_links)))
        self._jira().unlink(link_id)
        return f"jira link {link_id} removed"

    # -- Azure DevOps ----------------------------------------------------------------------------
    def _ado(self) -> Any:
        return self.sandbox.ado(ADO_ORG)

    def _wid(self) -> int:
        return self.rng.choice(self.ado_ids)

    def ado_priority(self) -> str:
        wid, value = self._wid(), self.rng.randint(1, 4)
        self._ado().update(wid, priority=value)
        return f"{wid} priority {value}"

    def ado_iteration(self) -> str:
        wid, path = self._wid(), self.rng.choice(self.iterations)
        self._ado().update(wid, iteration=path)
        return f"{wid} iteration {path}"

    def ado_state(self) -> str:
        wid = self._wid()
        state = self.rng.choice(ADO_STATES[self.ado_types[wid]])
        self._ado().update(wid, state=state)
        return f"{wid} state {state}"

    def ado_tag(self) -> str:
        wid, tag = self._wid(), self.rng.choice(PLAIN_LABELS)
        if self.rng.random() < 0.5:
            self._ado().update(wid, tags_add=[tag])
            return f"{wid} +tag {tag}"
        self._ado().update(wid, tags_remove=[tag])
        return f"{wid} -tag {tag}"

    def ado_title(self) -> str:
        wid = self._wid()
        self._ado().update(wid, title=f"Reworded by the PO, take {self.rng.randrange(10_000)}")
        return f"{wid} title"

    def ado_link(self) -> str:
        dependent, predecessor = self.rng.sample(self.ado_ids, 2)
        if (dependent, predecessor) in self.ado_links:
            return self.ado_unlink()
        self._ado().link(dependent, DEPENDS, predecessor)
        self.ado_links.append((dependent, predecessor))
        return f"{dependent} depends on {predecessor}"

    def ado_unlink(self) -> str:
        if not self.ado_links:
            return self.ado_link()
        dependent, predecessor = self.ado_links.pop(self.rng.randrange(len(self.ado_links)))
        self._ado().update(dependent, remove_relations=[{"rel": DEPENDS, "target": predecessor}])
        return f"{dependent} no longer depends on {predecessor}"
