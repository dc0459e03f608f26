"""What every family of Jira routes uses: the site's mode and renderer, request bodies and
parameters, Jira's error bodies, writes turned into answers and webhooks, the JQL query cache.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from typing import Any

from starlette.requests import Request

from ..http import Emulator, HttpError, json_response
from . import jql_eval, jql_parse, ops
from .issue_json import JiraRenderer
from .site import JiraIssue, JiraSite

NOT_FOUND_ISSUE = "Issue does not exist or you do not have permission to see it."


def api_error(
    status: int,
    messages: list[str] | None = None,
    errors: dict | None = None,
    headers: dict[str, str] | None = None,
) -> HttpError:
    return HttpError(
        json_response({"errorMessages": messages or [], "errors": errors or {}}, status, headers)
    )


def int_param(v: Any, default: int, name: str) -> int:
    if v in (None, ""):
        return default
    try:
        return int(v)
    except (TypeError, ValueError):
        raise api_error(400, [f"The value '{v}' is not valid for the parameter '{name}'."]) from None


def bool_param(v: Any, default: bool = False) -> bool:
    if v in (None, ""):
        return default
    return str(v).lower() in ("true", "1", "yes")


class JiraHandlers(Emulator):
    """The helpers of the Jira emulator; the route families (``*_routes``) build on it."""

    _renderers: dict[tuple[str, str, str], JiraRenderer]
    _search_cache: OrderedDict[tuple, tuple[list[JiraIssue], list[tuple]]]

    def mode(self, site: JiraSite) -> str:
        forced = self.state.jira_mode
        if forced:
            return "Cloud" if forced.lower() == "cloud" else "Server"
        return site.deployment or "Cloud"

    def renderer(self, site: JiraSite, base: str | None = None) -> JiraRenderer:
        base = (base or self.state.jira_site_url(site.name)).rstrip("/")
        mode = self.mode(site)
        key = (site.name, base, mode)
        r = self._renderers.get(key)
        if r is None:
            r = self._renderers[key] = JiraRenderer(site, base, mode)
        return r

    async def body(self, request: Request, required: bool = True) -> Any:
        raw = await request.body()
        if not raw:
            if required:
                raise api_error(400, ["No content to map due to end-of-input"])
            return {}
        try:
            return json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise api_error(
                400, ["Unexpected character in the request body: it is not valid JSON."]
            ) from None

    def issue_or_404(self, site: JiraSite, key: str) -> JiraIssue:
        issue = site.get(key)
        if issue is None:
            raise api_error(404, [NOT_FOUND_ISSUE])
        return issue

    def now(self):
        return self.state.now()

    def emit(self, site: JiraSite, events: list) -> None:
        if events:
            self.state.emit_jira(self, site, events)

    def run(self, fn, *a, **kw):
        try:
            return fn(*a, **kw)
        except ops.JiraOpError as e:
            raise HttpError(json_response(e.body(), e.status)) from None

    def _query(self, site: JiraSite, text: str) -> tuple[jql_parse.Query, list[JiraIssue], list[tuple]]:
        tz = site.options.get("userTimeZone", "UTC")
        try:
            q = jql_parse.parse(text, site, tz, self.now())
        except jql_parse.JqlError as e:
            raise api_error(400, [str(e)]) from None
        missing = jql_eval.validate_project_refs(site, q)
        if missing:
            raise api_error(
                400, [f"The value '{m}' does not exist for the field 'project'." for m in missing]
            )
        ck = (site.name, site.version, text, tz) if not q.relative else None
        if ck is not None and ck in self._search_cache:
            self._search_cache.move_to_end(ck)
            issues, keys = self._search_cache[ck]
            return q, issues, keys
        try:
            issues, keys = jql_eval.execute_keyed(site, q)
        except jql_parse.JqlError as e:
            raise api_error(400, [str(e)]) from None
        if ck is not None:
            self._search_cache[ck] = (issues, keys)
            while len(self._search_cache) > 64:
                self._search_cache.popitem(last=False)
        return q, issues, keys
