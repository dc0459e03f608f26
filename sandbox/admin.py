"""The sandbox's own admin endpoint, served on both emulator ports under ``/_sandbox``.

No authentication (the sandbox binds to loopback), never subject to injected faults or latency,
never in the request log.

=================================================  ==============================================
``GET  /_sandbox/health``                           ``{"ok": true, "jira": [...], "ado": [...]}``
``GET  /_sandbox/info``                             URLs, Jira modes, world counts
``GET|DELETE /_sandbox/requests``                   the request log (``?emulator=jira&since=TS``) / clear
``GET  /_sandbox/faults``                           both fault configs
``PUT  /_sandbox/faults/{jira|ado}``                change settings (FaultConfig fields)
``POST /_sandbox/faults/{jira|ado}/inject``         ``{"kind": "429", "count": 1, "path": "regex"}``
``DELETE /_sandbox/faults/{jira|ado}``              back to no faults, no latency
``GET|DELETE /_sandbox/webhooks``                   deliveries made so far (``?body=1``) / clear
``POST /_sandbox/webhooks/wait``                    wait until every delivery is done
``GET  /_sandbox/hooks``                            webhooks registered through the trackers' APIs
``PUT  /_sandbox/hooks/{jira|ado}``                 ``{"admin": false}``: the registration APIs answer 403
``POST /_sandbox/jira/{site}/issues``               create: ``{"project","summary","issuetype","fields"}``
``POST /_sandbox/jira/{site}/issues/{key}``         change: ``{"fields","update","status","resolution",
                                                    "sprint","priority","duedate","labels","labels_add",
                                                    "labels_remove","fix_versions","epic","summary",
                                                    "comment","actor"}``
``DELETE /_sandbox/jira/{site}/issues/{key}``       delete (with sub-tasks)
``POST /_sandbox/jira/{site}/issues/{key}/remotelinks``  ``{"url","title"}``
``POST /_sandbox/jira/{site}/links``                ``{"source","type","dest"}`` (source <outward> dest)
``DELETE /_sandbox/jira/{site}/links/{id}``
``POST /_sandbox/jira/{site}/sprints``              ``{"name","boardId","startDate","endDate","state"}``
``POST /_sandbox/jira/{site}/sprints/{id}``         ``{"startDate","endDate","state","name","goal"}``
``POST /_sandbox/jira/{site}/projects/{key}/versions/{version}``  ``{"releaseDate","released",...}``
``POST /_sandbox/ado/{org}/{project}/workitems``    ``{"type","title","fields","relations"}``
``POST /_sandbox/ado/{org}/workitems/{id}``         ``{"fields","state","title","iteration","area",
                                                    "priority","tags","tags_add","tags_remove",
                                                    "add_relations","remove_relations","comment",
                                                    "bypass_rules","actor"}``
``DELETE /_sandbox/ado/{org}/workitems/{id}``       to the recycle bin (``?destroy=true``: gone)
``POST /_sandbox/ado/{org}/workitems/{id}/restore``
``POST /_sandbox/ado/{org}/{project}/iterations``   ``{"path","startDate","finishDate"}``
``POST /_sandbox/export``                           ``{"dir": "/path"}``: write the world folder
``POST /_sandbox/clock``                            ``{"now": "2024-06-03T09:00:00Z", "frozen": false}``
``POST /_sandbox/act``                              ``{"as", "action": "comment"|"move", "item", "value",
                                                    "tenant"}``: act as a person (see act.py)
``POST /_sandbox/script/{jira|ado}/{tenant}``       ``{"method", "args", "kwargs"}``: any JiraScript /
                                                    AdoScript method (what ``process=True`` servers use)
=================================================  ==============================================
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from .act import act
from .faults import FaultConfig
from .script import ScriptError


def build_admin(state: Any) -> Callable[[dict, Any, Any], Awaitable[None]]:
    async def body(request: Request) -> dict:
        raw = await request.body()
        if not raw:
            return {}
        try:
            b = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise ScriptError(400, f"the body is not valid JSON: {exc}") from None
        if not isinstance(b, dict):
            raise ScriptError(400, "the body must be a JSON object")
        return b

    def wrap(fn):
        async def handler(request: Request) -> JSONResponse:
            try:
                out = await fn(request)
            except ScriptError as e:
                return JSONResponse({"error": str(e)}, status_code=e.status)
            except (KeyError, ValueError, TypeError) as e:
                return JSONResponse({"error": f"{type(e).__name__}: {e}"}, status_code=400)
            return JSONResponse(out)

        return handler

    def site(request: Request):
        s = state.world.jira.get(request.path_params["site"])
        if s is None:
            raise ScriptError(404, f"no Jira site {request.path_params['site']!r}")
        return state.jira_script(s.name)

    def org(request: Request):
        o = state.world.ado.get(request.path_params["org"])
        if o is None:
            raise ScriptError(404, f"no ADO organization {request.path_params['org']!r}")
        return state.ado_script(o.name)

    def emulator(request: Request) -> str:
        e = request.path_params["emulator"]
        if e not in ("jira", "ado"):
            raise ScriptError(404, "emulator is jira or ado")
        return e

    async def health(request: Request) -> dict:
        return {"ok": True, "jira": sorted(state.world.jira), "ado": sorted(state.world.ado)}

    async def info(request: Request) -> dict:
        return state.info()

    async def requests_get(request: Request) -> Any:
        qp = request.query_params
        since = float(qp["since"]) if qp.get("since") else None
        return [e.to_dict() for e in state.request_log.filter(emulator=qp.get("emulator"), since=since)]

    async def requests_clear(request: Request) -> dict:
        state.request_log.clear()
        return {"ok": True}

    async def faults_get(request: Request) -> dict:
        return {k: f.config.to_dict() for k, f in state.faults.items()}

    async def faults_put(request: Request) -> dict:
        e = emulator(request)
        cfg = state.faults[e].configure(**(await body(request)))
        return cfg.to_dict()

    async def faults_inject(request: Request) -> dict:
        e = emulator(request)
        b = await body(request)
        state.faults[e].inject(b["kind"], int(b.get("count", 1)), b.get("path"), b.get("method"))
        return {"ok": True}

    async def faults_reset(request: Request) -> dict:
        e = emulator(request)
        state.faults[e].reset(FaultConfig(seed=state.faults[e].config.seed))
        return state.faults[e].config.to_dict()

    async def webhooks_get(request: Request) -> Any:
        with_body = request.query_params.get("body") in ("1", "true")
        return [d.to_dict(with_body) for d in state.webhooks.deliveries]

    async def webhooks_clear(request: Request) -> dict:
        state.webhooks.deliveries.clear()
        return {"ok": True}

    async def webhooks_wait(request: Request) -> dict:
        b = await body(request)
        ok = await state.webhooks.wait_idle(float(b.get("timeout", 10)))
        return {"idle": ok, "pending": state.webhooks.pending}

    async def hooks_get(request: Request) -> dict:
        return state.hooks.summary()

    async def hooks_put(request: Request) -> dict:
        kind = request.path_params["kind"]
        if kind not in state.hooks.admin:
            raise ScriptError(404, f"no emulator {kind!r}; use jira or ado")
        b = await body(request)
        if not isinstance(b.get("admin"), bool):
            raise ScriptError(400, 'give {"admin": true|false}')
        state.hooks.admin[kind] = b["admin"]
        return state.hooks.summary()

    async def jira_create(request: Request) -> dict:
        b = await body(request)
        key = site(request).create(
            b["project"],
            b["summary"],
            b.get("issuetype", "Story"),
            fields=b.get("fields"),
            actor=b.get("actor"),
        )
        return {"key": key}

    async def jira_update(request: Request) -> dict:
        b = await body(request)
        allowed = {
            "fields",
            "update",
            "status",
            "resolution",
            "sprint",
            "priority",
            "duedate",
            "labels",
            "labels_add",
            "labels_remove",
            "fix_versions",
            "epic",
            "summary",
            "comment",
            "actor",
        }
        unknown = set(b) - allowed
        if unknown:
            raise ScriptError(400, f"unknown keys {sorted(unknown)}; allowed: {sorted(allowed)}")
        return site(request).update(request.path_params["key"], **b)

    async def jira_delete(request: Request) -> dict:
        site(request).delete(request.path_params["key"])
        return {"ok": True}

    async def jira_remote(request: Request) -> dict:
        b = await body(request)
        rid = site(request).add_remote_link(
            request.path_params["key"],
            b["url"],
            b.get("title", b["url"]),
            relationship=b.get("relationship"),
            global_id=b.get("globalId"),
        )
        return {"id": rid}

    async def jira_link(request: Request) -> dict:
        b = await body(request)
        return {"id": site(request).link(b["source"], b["type"], b["dest"], actor=b.get("actor"))}

    async def jira_unlink(request: Request) -> dict:
        site(request).unlink(request.path_params["lid"])
        return {"ok": True}

    async def jira_sprint_create(request: Request) -> dict:
        b = await body(request)
        sid = site(request).create_sprint(
            b["name"],
            b.get("boardId"),
            b.get("startDate"),
            b.get("endDate"),
            b.get("state", "future"),
            b.get("goal", ""),
        )
        return {"id": sid}

    async def jira_sprint_update(request: Request) -> dict:
        b = await body(request)
        site(request).update_sprint(request.path_params["sid"], **b)
        return {"ok": True}

    async def jira_version(request: Request) -> dict:
        b = await body(request)
        site(request).update_version(request.path_params["pkey"], request.path_params["version"], **b)
        return {"ok": True}

    async def ado_create(request: Request) -> dict:
        b = await body(request)
        wid = org(request).create(
            request.path_params["project"],
            b["type"],
            b["title"],
            fields=b.get("fields"),
            relations=b.get("relations") or (),
            actor=b.get("actor"),
            bypass_rules=bool(b.get("bypass_rules")),
        )
        return {"id": wid}

    async def ado_update(request: Request) -> dict:
        b = await body(request)
        allowed = {
            "fields",
            "state",
            "title",
            "iteration",
            "area",
            "priority",
            "tags",
            "tags_add",
            "tags_remove",
            "add_relations",
            "remove_relations",
            "comment",
            "bypass_rules",
            "actor",
        }
        unknown = set(b) - allowed
        if unknown:
            raise ScriptError(400, f"unknown keys {sorted(unknown)}; allowed: {sorted(allowed)}")
        rev = org(request).update(int(request.path_params["wid"]), **b)
        return {"id": int(request.path_params["wid"]), "rev": rev}

    async def ado_delete(request: Request) -> dict:
        org(request).delete(
            int(request.path_params["wid"]), destroy=request.query_params.get("destroy", "").lower() == "true"
        )
        return {"ok": True}

    async def ado_restore(request: Request) -> dict:
        org(request).restore(int(request.path_params["wid"]))
        return {"ok": True}

    async def ado_iteration(request: Request) -> dict:
        b = await body(request)
        return org(request).set_iteration(
            request.path_params["project"], b["path"], b.get("startDate"), b.get("finishDate")
        )

    async def clock(request: Request) -> dict:
        from .formats import parse_ts

        b = await body(request)
        when = parse_ts(b["now"]) if b.get("now") else None
        state.set_now(when, bool(b.get("frozen")))
        return {"now": state.now().isoformat()}

    async def call_script(request: Request) -> Any:
        """``{"method": "update", "args": [...], "kwargs": {...}}`` on a site's/org's script object."""
        b = await body(request)
        kind, tenant = request.path_params["kind"], request.path_params["tenant"]
        script = state.jira_script(tenant) if kind == "jira" else state.ado_script(tenant)
        name = b.get("method", "")
        if name.startswith("_") or not callable(getattr(script, name, None)):
            raise ScriptError(400, f"no scripted operation {name!r}")
        return {"result": getattr(script, name)(*b.get("args", []), **b.get("kwargs", {}))}

    async def act_as(request: Request) -> dict:
        b = await body(request)
        return act(
            state,
            str(b.get("as") or ""),
            str(b.get("action") or ""),
            str(b.get("item") or ""),
            str(b.get("value") or ""),
            b.get("tenant"),
        )

    async def export(request: Request) -> dict:
        b = await body(request)
        path = state.export(b["dir"])
        return {"dir": str(path)}

    routes = [
        Route("/health", wrap(health)),
        Route("/info", wrap(info)),
        Route("/requests", wrap(requests_get), methods=["GET"]),
        Route("/requests", wrap(requests_clear), methods=["DELETE"]),
        Route("/faults", wrap(faults_get), methods=["GET"]),
        Route("/faults/{emulator}", wrap(faults_put), methods=["PUT"]),
        Route("/faults/{emulator}", wrap(faults_reset), methods=["DELETE"]),
        Route("/faults/{emulator}/inject", wrap(faults_inject), methods=["POST"]),
        Route("/webhooks", wrap(webhooks_get), methods=["GET"]),
        Route("/webhooks", wrap(webhooks_clear), methods=["DELETE"]),
        Route("/webhooks/wait", wrap(webhooks_wait), methods=["POST"]),
        Route("/hooks", wrap(hooks_get), methods=["GET"]),
        Route("/hooks/{kind}", wrap(hooks_put), methods=["PUT"]),
        Route("/jira/{site}/issues", wrap(jira_create), methods=["POST"]),
        Route("/jira/{site}/issues/{key}", wrap(jira_update), methods=["POST"]),
        Route("/jira/{site}/issues/{key}", wrap(jira_delete), methods=["DELETE"]),
        Route("/jira/{site}/issues/{key}/remotelinks", wrap(jira_remote), methods=["POST"]),
        Route("/jira/{site}/links", wrap(jira_link), methods=["POST"]),
        Route("/jira/{site}/links/{lid}", wrap(jira_unlink), methods=["DELETE"]),
        Route("/jira/{site}/sprints", wrap(jira_sprint_create), methods=["POST"]),
        Route("/jira/{site}/sprints/{sid}", wrap(jira_sprint_update), methods=["POST"]),
        Route("/jira/{site}/projects/{pkey}/versions/{version}", wrap(jira_version), methods=["POST"]),
        Route("/ado/{org}/workitems/{wid:int}", wrap(ado_update), methods=["POST"]),
        Route("/ado/{org}/workitems/{wid:int}", wrap(ado_delete), methods=["DELETE"]),
        Route("/ado/{org}/workitems/{wid:int}/restore", wrap(ado_restore), methods=["POST"]),
        Route("/ado/{org}/{project}/workitems", wrap(ado_create), methods=["POST"]),
        Route("/ado/{org}/{project}/iterations", wrap(ado_iteration), methods=["POST"]),
        Route("/act", wrap(act_as), methods=["POST"]),
        Route("/export", wrap(export), methods=["POST"]),
        Route("/clock", wrap(clock), methods=["POST"]),
        Route("/script/{kind}/{tenant}", wrap(call_script), methods=["POST"]),
    ]
    inner = Starlette(routes=routes)

    async def app(scope: dict, receive: Any, send: Any) -> None:
        scope = dict(scope)
        path = scope["path"][len("/_sandbox") :] or "/"
        scope["path"] = path
        scope["raw_path"] = path.encode()
        await inner(scope, receive, send)

    return app
