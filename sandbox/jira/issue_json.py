"""Canonical sandbox issues rendered as Jira's REST JSON, per deployment mode and API version.

Cloud: the epic is ``fields.parent``, the Sprint field holds objects, users have ``accountId``,
API v3 bodies are ADF. Data Center (``Server``): the epic is the Epic Link custom field, the
Sprint field holds the legacy ``…Sprint@x[id=…,state=…]`` strings, users have ``name``/``key``.

Rendered issues are cached as JSON text per (issue version, API version, field selection,
expand); any write bumps the issue's ``version`` (and its neighbours'), which drops the cache.
"""

from __future__ import annotations

from typing import Any

from ..formats import dumps, parse_ts
from .adf import adf_to_text, body_for
from .field_select import FieldSel
from .object_json import JiraObjectRenderer
from .site import JiraIssue

CLOUD_EMBEDDED_IN_SEARCH = 40
CLOUD_EMBEDDED_ON_ISSUE = 100


class JiraRenderer(JiraObjectRenderer):
    def full_fields(self, issue: JiraIssue, ver: str, comment_limit: int | None = None) -> dict:
        site = self.site
        f: dict[str, Any] = {}
        for k, v in issue.fields.items():
            if k == "status":
                f[k] = self.status(v, ver)
            elif k in ("priority", "issuetype", "resolution"):
                f[k] = self._obj(k, v, ver)
            elif k == "project" and isinstance(v, dict):
                f[k] = {
                    "self": f"{self.api(ver)}/project/{v.get('id')}",
                    **{x: y for x, y in v.items() if x != "self"},
                }
            elif k in ("assignee", "reporter", "creator"):
                f[k] = self.user(v, ver) if isinstance(v, dict) else v
            elif k in ("description", "environment") and ver == "3":
                f[k] = body_for(v, ver) if v is not None else None
            elif k in ("description", "environment") and isinstance(v, dict):
                f[k] = adf_to_text(v)
            elif k == "parent" and isinstance(v, dict):
                f[k] = self.ref(str(v.get("id")), v.get("key"), v, ver)
            elif k == "subtasks":
                continue
            else:
                f[k] = v
        f["issuelinks"] = [
            self.link(site.links[lid], issue, ver) for lid in site.links_by_issue.get(issue.id, [])
        ]
        f["subtasks"] = self._subtasks(issue, ver)
        comments = issue.comments
        shown = comments if comment_limit is None else comments[:comment_limit]
        page: dict[str, Any] = {
            "comments": [self.comment(issue, c, ver) for c in shown],
            "maxResults": len(shown),
            "total": len(comments),
            "startAt": 0,
        }
        if self.cloud:
            page["self"] = f"{self.issue_self(issue.id, ver)}/comment"
        f["comment"] = page
        sf = site.sprint_field
        if sf:
            if issue.sprint_ids:
                f[sf] = (
                    [self.sprint_obj(s) for s in issue.sprint_ids]
                    if self.cloud
                    else [self.sprint_str(s) for s in issue.sprint_ids]
                )
            else:
                f[sf] = None
        ef = site.epic_link_field
        if self.cloud:
            if issue.epic_key and "parent" not in f:
                f["parent"] = self.epic_ref(issue, ver)
            if ef:
                f.pop(ef, None)
        elif ef:
            f[ef] = issue.epic_key
        ff = site.flagged_field
        if ff:
            f[ff] = (
                [{"self": f"{self.api(ver)}/customFieldOption/10019", "value": "Impediment", "id": "10019"}]
                if (issue.flagged)
                else None
            )
        return f

    def _subtasks(self, issue: JiraIssue, ver: str) -> list[dict]:
        out = []
        seen = set()
        for s in issue.fields.get("subtasks") or []:
            sid = str(s.get("id"))
            if sid in self.site.deleted:
                continue
            seen.add(sid)
            out.append(self.ref(sid, s.get("key"), s, ver))
        for cid in sorted(self.site.children_of(issue.id), key=lambda x: int(x) if x.isdigit() else 0):
            child = self.site.issues.get(cid)
            if child is not None and child.is_subtask and cid not in seen:
                out.append(self.ref(cid, child.key, None, ver))
        return out

    def histories(self, issue: JiraIssue, ver: str) -> list[dict]:
        out = []
        for h in issue.histories:
            hh = dict(h)
            if h.get("author"):
                hh["author"] = self.user(h["author"], ver)
            out.append(hh)
        return out

    def embedded_changelog(self, issue: JiraIssue, ver: str, in_search: bool) -> dict:
        """``expand=changelog``. Cloud embeds the most recent histories only, newest first: 40 in a
        search/jql answer, 100 on an issue GET (JRACLOUD-96459; pycontribs/jira#911); the rest is in
        GET issue/KEY/changelog. Data Center embeds them all, oldest first."""
        hist = self.histories(issue, ver)
        if self.cloud:
            hist = hist[::-1][: CLOUD_EMBEDDED_IN_SEARCH if in_search else CLOUD_EMBEDDED_ON_ISSUE]
        return {"startAt": 0, "maxResults": len(hist), "total": len(issue.histories), "histories": hist}

    def issue_dict(
        self,
        issue: JiraIssue,
        ver: str,
        sel: FieldSel,
        expand: frozenset[str] = frozenset(),
        properties: tuple[str, ...] = (),
        in_search: bool = False,
        agile: bool = False,
    ) -> dict:
        if sel.ids_only and not expand and not properties and not agile:
            out: dict[str, Any] = {"id": issue.id}
            if "key" in sel.include:
                out["key"] = issue.key
                out["self"] = self.issue_self(issue.id, ver)
            return out
        limit = 20 if (in_search and self.cloud) else None
        full = self.full_fields(issue, ver, comment_limit=limit)
        fields = {k: v for k, v in full.items() if sel.wants(k)}
        if agile:
            closed = [s for s in issue.sprint_ids if self.site.sprints.get(s, {}).get("state") == "closed"]
            open_ = [s for s in issue.sprint_ids if s not in closed]
            fields["sprint"] = self.agile_sprint(open_[-1]) if open_ else None
            fields["closedSprints"] = [self.agile_sprint(s) for s in closed]
            fields["flagged"] = issue.flagged
            fields["epic"] = self._agile_epic(issue)
        out = {
            "expand": "renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations",
            "id": issue.id,
            "self": (
                f"{self.base}/rest/agile/1.0/issue/{issue.id}" if agile else self.issue_self(issue.id, ver)
            ),
            "key": issue.key,
            "fields": fields,
        }
        if "changelog" in expand:
            out["changelog"] = self.embedded_changelog(issue, ver, in_search)
        if "names" in expand:
            names = {f["id"]: f["name"] for f in self.site.fields_list}
            out["names"] = {k: names.get(k, k) for k in fields}
        if "schema" in expand:
            schemas = {f["id"]: f.get("schema") for f in self.site.fields_list if f.get("schema")}
            out["schema"] = {k: schemas[k] for k in fields if k in schemas}
        if "renderedFields" in expand:
            out["renderedFields"] = {
                k: (adf_to_text(v) if isinstance(v, dict) else v)
                for k, v in fields.items()
                if k == "description"
            }
        if "transitions" in expand:
            out["transitions"] = self.transitions(ver)
        if properties:
            props = issue.properties
            wanted = props.keys() if "*all" in properties else properties
            out["properties"] = {k: props[k] for k in wanted if k in props}
        return out

    def _agile_epic(self, issue: JiraIssue) -> dict | None:
        if not issue.epic_key:
            return None
        live = self.site.by_key.get(issue.epic_key)
        if live is not None:
            cat = ((live.fields.get("status") or {}).get("statusCategory") or {}).get("key")
            return {
                "id": int(live.id) if live.id.isdigit() else live.id,
                "key": live.key,
                "self": f"{self.base}/rest/agile/1.0/epic/{live.id}",
                "name": live.fields.get("summary"),
                "summary": live.fields.get("summary"),
                "color": {"key": "color_1"},
                "done": cat == "done",
            }
        ag = dict((issue.epic_snapshot or {}).get("_agile") or {"key": issue.epic_key})
        return ag

    def _slot(self, issue: JiraIssue) -> dict[tuple, Any]:
        cached = self._cache.get(issue.id)
        if cached is None or cached[0] != issue.version:
            cached = (issue.version, {})
            self._cache[issue.id] = cached
        return cached[1]

    def fragments(self, issue: JiraIssue, ver: str) -> list[tuple[str, str]]:
        """The issue's fields as ``('fid', '"fid":<json>')`` pairs, cached until the issue changes:
        any field selection is then a join, not a render."""
        slot = self._slot(issue)
        frags = slot.get(("frag", ver))
        if frags is None:
            full = self.full_fields(issue, ver)
            frags = [(k, dumps(k) + ":" + dumps(v)) for k, v in full.items()]
            slot[("frag", ver)] = frags
        return frags

    def issue_json(
        self,
        issue: JiraIssue,
        ver: str,
        sel: FieldSel,
        expand: frozenset[str] = frozenset(),
        properties: tuple[str, ...] = (),
        in_search: bool = False,
        agile: bool = False,
    ) -> str:
        slot = self._slot(issue)
        truncate = in_search and self.cloud and len(issue.comments) > 20
        variant = (ver, sel.key, tuple(sorted(expand)) if expand else (), properties, truncate, agile)
        text = slot.get(variant)
        if text is not None:
            return text
        if agile or expand or properties or truncate or sel.ids_only:
            text = dumps(self.issue_dict(issue, ver, sel, expand, properties, in_search, agile))
        else:
            if sel.all and not sel.exclude:
                body = slot.get(("all", ver))
                if body is None:
                    body = slot[("all", ver)] = ",".join(frag for _, frag in self.fragments(issue, ver))
            else:
                body = ",".join(frag for fid, frag in self.fragments(issue, ver) if sel.wants(fid))
            text = (
                '{"expand":"renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations",'
                f'"id":{dumps(issue.id)},"self":{dumps(self.issue_self(issue.id, ver))},"key":{dumps(issue.key)},'
                f'"fields":{{{body}}}}}'
            )
        slot[variant] = text
        return text

    def prewarm(self, ver: str = "2") -> int:
        """Render every issue's fields once (so the first sync does not pay for it)."""
        for issue in self.site.issues.values():
            self.issue_json(issue, ver, FieldSel(all=True))
            for d in ("created", "updated"):
                parse_ts(issue.fields.get(d))
        return len(self.site.issues)

    def drop(self, issue_id: str) -> None:
        self._cache.pop(issue_id, None)
