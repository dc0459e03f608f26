"""Scripted changes to a sandbox Jira site (see :mod:`sandbox.script`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..script import UNSET, ScriptError
from . import ops as jira_ops
from .site import JiraIssue, JiraSite


class JiraScript:
    def __init__(self, state: Any, site: JiraSite) -> None:
        self.state = state
        self.site = site

    @property
    def _emu(self) -> Any:
        return self.state.jira_emulator

    def _actor(self, actor: str | None) -> dict:
        return self.state.jira_user(
            actor or "sandbox.admin@sandbox.invalid", self.site.options.get("userTimeZone", "UTC")
        )

    def _cloud(self) -> bool:
        return self._emu.mode(self.site) == "Cloud"

    def _run(self, fn, *a, **kw):
        try:
            return fn(*a, **kw)
        except jira_ops.JiraOpError as e:
            raise ScriptError(
                e.status, "; ".join(e.messages + [f"{k}: {v}" for k, v in e.errors.items()])
            ) from None

    def _emit(self, events: list) -> None:
        if events:
            self.state.emit_jira(self._emu, self.site, events)

    def issue(self, key: str) -> JiraIssue:
        i = self.site.get(key)
        if i is None:
            raise ScriptError(404, f"no issue {key} on Jira site {self.site.name}")
        return i

    def _sprint_id(self, sprint: Any) -> int | None:
        if sprint is None:
            return None
        if isinstance(sprint, int) or (isinstance(sprint, str) and sprint.isdigit()):
            return int(sprint)
        for s in self.site.sprints.values():
            if s.get("name") == sprint:
                return int(s["id"])
        raise ScriptError(404, f"no sprint {sprint!r} on Jira site {self.site.name}")

    def update(
        self,
        key: str,
        *,
        fields: dict | None = None,
        update: dict | None = None,
        status: str | None = None,
        resolution: str | None = None,
        sprint: Any = UNSET,
        priority: str | None = None,
        duedate: Any = UNSET,
        labels: list[str] | None = None,
        labels_add: list[str] | tuple = (),
        labels_remove: list[str] | tuple = (),
        fix_versions: list[str] | None = None,
        epic: Any = UNSET,
        summary: str | None = None,
        comment: str | None = None,
        actor: str | None = None,
        now: datetime | None = None,
    ) -> dict:
        """Change an issue; returns ``{"key", "updated", "status"}``."""
        issue = self.issue(key)
        who = self._actor(actor)
        now = now or self.state.now()
        f: dict[str, Any] = dict(fields or {})
        up: dict[str, list] = {k: list(v) for k, v in (update or {}).items()}
        if priority is not None:
            f["priority"] = {"name": priority}
        if duedate is not UNSET:
            f["duedate"] = duedate
        if summary is not None:
            f["summary"] = summary
        if labels is not None:
            f["labels"] = list(labels)
        for lbl in labels_add:
            up.setdefault("labels", []).append({"add": lbl})
        for lbl in labels_remove:
            up.setdefault("labels", []).append({"remove": lbl})
        if fix_versions is not None:
            f["fixVersions"] = [{"name": v} for v in fix_versions]
        if epic is not UNSET:
            ef = self.site.epic_link_field
            if self._cloud() or not ef:
                f["parent"] = {"key": epic} if epic else {"none": True}
            else:
                f[ef] = epic
        events: list = []
        if f or up:
            events += self._run(jira_ops.edit_issue, self.site, issue, f, up, who, now, self._cloud())
        if sprint is not UNSET:
            events += self._run(
                jira_ops.move_to_sprint, self.site, [issue], self._sprint_id(sprint), who, now
            )
        if status is not None:
            st = self.site.status_by_name(status)
            if st is None:
                raise ScriptError(
                    400,
                    f"no status {status!r} on Jira site {self.site.name}; known: "
                    f"{sorted(s['name'] for s in self.site.statuses.values())}",
                )
            flds = {"resolution": {"name": resolution}} if resolution else None
            events += self._run(jira_ops.transition, self.site, issue, st, flds, who, now)
        elif resolution is not None:
            events += self._run(
                jira_ops.edit_issue,
                self.site,
                issue,
                {"resolution": {"name": resolution}},
                None,
                who,
                now,
                self._cloud(),
            )
        if comment:
            events += self._run(jira_ops.add_comment, self.site, issue, comment, who, now)
        self._emit(events)
        return {
            "key": issue.key,
            "updated": issue.fields.get("updated"),
            "status": (issue.fields.get("status") or {}).get("name"),
        }

    def create(
        self,
        project: str,
        summary: str,
        issuetype: str = "Story",
        *,
        fields: dict | None = None,
        actor: str | None = None,
    ) -> str:
        f = {
            "project": {"key": project},
            "summary": summary,
            "issuetype": {"name": issuetype},
            **(fields or {}),
        }
        issue, events = self._run(
            jira_ops.create_issue, self.site, f, self._actor(actor), self.state.now(), self._cloud()
        )
        self._emit(events)
        return issue.key

    def delete(self, key: str, *, delete_subtasks: bool = True, actor: str | None = None) -> None:
        issue = self.issue(key)
        self._emit(
            self._run(
                jira_ops.delete_issue, self.site, issue, self._actor(actor), self.state.now(), delete_subtasks
            )
        )
        self._emu.renderer(self.site).drop(issue.id)

    def link(self, source: str, link_type: str, dest: str, *, actor: str | None = None) -> str:
        """``link("A-1", "Blocks", "B-2")``: A-1 blocks B-2 (A-1 shows ``outwardIssue`` B-2)."""
        lk, events = self._run(
            jira_ops.create_link,
            self.site,
            {"name": link_type},
            self.issue(source),
            self.issue(dest),
            self._actor(actor),
            self.state.now(),
        )
        self._emit(events)
        return lk.id

    def unlink(self, link_id: str, *, actor: str | None = None) -> None:
        self._emit(
            self._run(jira_ops.delete_link, self.site, str(link_id), self._actor(actor), self.state.now())
        )

    def add_remote_link(
        self, key: str, url: str, title: str, *, relationship: str | None = None, global_id: str | None = None
    ) -> int:
        body: dict[str, Any] = {"object": {"url": url, "title": title}}
        if relationship:
            body["relationship"] = relationship
        if global_id:
            body["globalId"] = global_id
        rl, _created = self._run(
            jira_ops.put_remote_link,
            self.site,
            self.issue(key),
            body,
            self._actor(None),
            self.state.now(),
            self._cloud(),
        )
        return int(rl["id"])

    def comment(self, key: str, body: Any, *, actor: str | None = None) -> str:
        events = self._run(
            jira_ops.add_comment, self.site, self.issue(key), body, self._actor(actor), self.state.now()
        )
        self._emit(events)
        return str(events[0].comment["id"])

    def create_sprint(
        self,
        name: str,
        board_id: int | None = None,
        start: str | None = None,
        end: str | None = None,
        state: str = "future",
        goal: str = "",
    ) -> int:
        if board_id is None and self.site.boards:
            board_id = min(self.site.boards)
        return jira_ops.create_sprint(self.site, name, board_id, start, end, goal, state)

    def update_sprint(self, sprint: Any, **changes: Any) -> None:
        sid = self._sprint_id(sprint)
        self._emit(self._run(jira_ops.update_sprint, self.site, sid, changes, self.state.now()))

    def update_version(self, project: str, version: str, **changes: Any) -> None:
        self._emit(self._run(jira_ops.update_version, self.site, project, version, changes))
