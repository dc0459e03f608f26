"""Webhook deliveries in the trackers' real formats.

Targets
-------
A target URL may contain ``{kind}`` (``jira`` or ``azure-devops``), ``{source}`` (the source name
``sandbox serve --config-out`` gives the site/org, e.g. ``jira-acme``/``ado-contoso``) and
``{tenant}`` (the bare site/org name). ``--webhook-url`` targets without ``{kind}``/``{source}``
receive every event of both trackers; ``--jira-webhook-url`` / ``--ado-webhook-url`` receive one
tracker's events only. So one flag serves poalign's per-source endpoints::

    --webhook-url 'http://127.0.0.1:8000/webhooks/{kind}/{source}'

Webhooks registered through the trackers' own APIs (:mod:`.hook_registry`, what ``poalign hooks
install`` uses) receive what they subscribed to as well, each with its own secret or credentials.

Jira (Cloud and DC admin webhooks with a secret): ``X-Hub-Signature: sha256=<hex HMAC-SHA256 of
the raw body>``, a unique ``X-Atlassian-Webhook-Identifier`` kept across retries,
``X-Atlassian-Webhook-Flow`` (``Primary``/``Secondary``), ``X-Atlassian-Webhook-Retry`` on
retries. Azure DevOps service hooks: the event envelope with HTTP Basic authentication.

Deliveries run in the server's event loop, in order per target URL, retried on 408/409/425/429/
5xx and connection errors with short delays, and are recorded in :attr:`WebhookEmitter.deliveries`.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import itertools
import time
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from .formats import ado_ts, dumps, stable_uuid

if TYPE_CHECKING:  # imported when the first delivery goes out
    import httpx

RETRY_STATUSES = {408, 409, 425, 429, 500, 502, 503, 504}


@dataclass
class Target:
    url: str
    kind: str | None = None  # "jira" | "ado" | None (both)

    def expand(self, kind: str, tenant: str, source: str) -> str | None:
        if self.kind is not None and self.kind != kind:
            return None
        return (
            self.url.replace("{kind}", "jira" if kind == "jira" else "azure-devops")
            .replace("{source}", source)
            .replace("{tenant}", tenant)
            .replace("{site}", tenant)
            .replace("{org}", tenant)
        )


@dataclass
class Delivery:
    url: str
    kind: str
    tenant: str
    event: str
    identifier: str
    ts: float
    status: int | None = None
    attempts: int = 0
    error: str | None = None
    body: bytes = field(default=b"", repr=False)
    headers: dict[str, str] = field(default_factory=dict, repr=False)
    finished: bool = False  # every attempt made (status/error say how it ended)

    def to_dict(self, with_body: bool = False) -> dict[str, Any]:
        d = asdict(self)
        d.pop("headers")
        body = d.pop("body")
        if with_body:
            d["body"] = body.decode("utf-8")
        return d


def jira_signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def basic_auth(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


class WebhookEmitter:
    def __init__(
        self,
        targets: Sequence[Target],
        source_name: Any,
        jira_secret: Any,
        ado_credentials: Any,
        retry_delays: Sequence[float] = (0.2, 0.5, 1.0, 2.0, 4.0),
        timeout_s: float = 10.0,
    ) -> None:
        self.targets = list(targets)
        self.source_name = source_name  # (kind, tenant) -> source name
        self.jira_secret = jira_secret  # tenant -> secret
        self.ado_credentials = ado_credentials  # tenant -> (user, password)
        self.retry_delays = list(retry_delays)
        self.timeout_s = timeout_s
        self.deliveries: list[Delivery] = []
        self._queues: dict[str, asyncio.Queue] = {}
        self._workers: dict[str, asyncio.Task] = {}
        self._pending = 0
        self._idle: asyncio.Event | None = None
        self._client: httpx.AsyncClient | None = None
        self._ids = itertools.count(1)
        self._notification = itertools.count(1)
        self.enabled = bool(self.targets)

    def next_notification_id(self) -> int:
        return next(self._notification)

    # -- queueing --------------------------------------------------------------------------
    def submit(self, kind: str, tenant: str, event: str, payload: Any, flow: str = "Primary") -> None:
        """Queue ``payload`` for every target that takes ``kind`` events (called in the loop)."""
        if not self.targets:
            return
        body = dumps(payload).encode("utf-8")
        source = self.source_name(kind, tenant)
        for t in self.targets:
            url = t.expand(kind, tenant, source)
            if url is None:
                continue
            if kind == "jira":
                secret = self.jira_secret(tenant)
                self._queue(url, kind, tenant, event, payload, body, flow, secret=secret)
            else:
                user, password = self.ado_credentials(tenant)
                basic = (user or "", password or "") if user or password else None
                self._queue(url, kind, tenant, event, payload, body, flow, basic=basic)

    def submit_to(
        self,
        url: str,
        kind: str,
        tenant: str,
        event: str,
        payload: Any,
        *,
        flow: str = "Primary",
        secret: str | None = None,
        basic: tuple[str, str] | None = None,
        extra_headers: dict[str, str] | None = None,
    ) -> Delivery:
        """Queue ``payload`` for one URL a tracker API registered (:mod:`.hook_registry`), signed with
        that registration's own secret or credentials."""
        body = dumps(payload).encode("utf-8")
        return self._queue(url, kind, tenant, event, payload, body, flow, secret, basic, extra_headers)

    def _queue(
        self,
        url: str,
        kind: str,
        tenant: str,
        event: str,
        payload: Any,
        body: bytes,
        flow: str,
        secret: str | None = None,
        basic: tuple[str, str] | None = None,
        extra_headers: dict[str, str] | None = None,
    ) -> Delivery:
        headers = {"Content-Type": "application/json; charset=utf-8"}
        if kind == "jira":
            ident = f"{int(time.time() * 1000)}{next(self._ids):06d}"
            headers["User-Agent"] = "Atlassian Webhook HTTP Client"
            headers["X-Atlassian-Webhook-Identifier"] = ident
            headers["X-Atlassian-Webhook-Flow"] = flow
            if secret:
                headers["X-Hub-Signature"] = jira_signature(secret, body)
        else:
            ident = str(payload.get("id") if isinstance(payload, dict) else uuid.uuid4())
            headers["User-Agent"] = "VSServices/16.0 (ServiceHooks)"
            if basic:
                headers["Authorization"] = basic_auth(*basic)
        headers.update(extra_headers or {})
        d = Delivery(
            url=url,
            kind=kind,
            tenant=tenant,
            event=event,
            identifier=ident,
            ts=time.time(),
            body=body,
            headers=headers,
        )
        self.deliveries.append(d)
        q = self._queues.get(url)
        if q is None:
            q = self._queues[url] = asyncio.Queue()
            self._workers[url] = asyncio.get_running_loop().create_task(self._worker(q))
        self._pending += 1
        if self._idle is not None:
            self._idle.clear()
        q.put_nowait(d)
        return d

    async def _worker(self, q: asyncio.Queue) -> None:
        import httpx

        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self.timeout_s)
        while True:
            d: Delivery = await q.get()
            try:
                await self._deliver(d)
            finally:
                d.finished = True
                self._pending -= 1
                if self._pending == 0 and self._idle is not None:
                    self._idle.set()

    async def _deliver(self, d: Delivery) -> None:
        import httpx

        delays = [0.0, *self.retry_delays]
        for attempt, delay in enumerate(delays):
            if delay:
                await asyncio.sleep(delay)
            headers = dict(d.headers)
            if attempt and d.kind == "jira":
                headers["X-Atlassian-Webhook-Retry"] = str(attempt)
            d.attempts = attempt + 1
            assert self._client is not None, "the worker opens the client before its first delivery"
            try:
                r = await self._client.post(d.url, content=d.body, headers=headers)
                d.status = r.status_code
                d.error = None
                if r.status_code not in RETRY_STATUSES:
                    return
            except httpx.HTTPError as exc:
                d.status = None
                d.error = f"{type(exc).__name__}: {exc}"
        return

    async def wait_idle(self, timeout: float) -> bool:
        if self._pending == 0:
            return True
        if self._idle is None:
            self._idle = asyncio.Event()
        if self._pending == 0:
            return True
        self._idle.clear()
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
            return True
        except TimeoutError:
            return False

    @property
    def pending(self) -> int:
        return self._pending

    async def close(self) -> None:
        for t in self._workers.values():
            t.cancel()
        for t in self._workers.values():
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await t
        self._workers.clear()
        self._queues.clear()
        if self._client is not None:
            await self._client.aclose()
            self._client = None


# ----------------------------------------------------------------------------------------------
# Payloads


def jira_payload(emulator: Any, site: Any, ev: Any, now_ms: int) -> dict | None:
    """The body Jira posts for one :class:`~sandbox.jira.ops.JiraEvent`."""
    from .jira.field_select import FieldSel

    rr = emulator.renderer(site)
    cloud = rr.cloud
    name = ev.name
    out: dict[str, Any] = {"timestamp": now_ms, "webhookEvent": name}
    if name in ("jira:issue_created", "jira:issue_updated", "jira:issue_deleted"):
        if ev.event_type and name != "jira:issue_deleted":
            out["issue_event_type_name"] = ev.event_type
        if ev.user:
            out["user"] = rr.user(ev.user)
        issue = ev.issue
        if name == "jira:issue_deleted":
            out["issue"] = rr.issue_dict(issue, "2", FieldSel(all=True))
        else:
            out["issue"] = rr.issue_dict(issue, "2", FieldSel(all=True))
        if ev.changelog:
            out["changelog"] = ev.changelog
        if ev.comment:
            out["comment"] = rr.comment(issue, ev.comment, "2")
        return out
    if name.startswith("comment_"):
        issue = ev.issue
        out["comment"] = rr.comment(issue, ev.comment, "2")
        if cloud:
            full = rr.full_fields(issue, "2")
            out["issue"] = {
                "id": issue.id,
                "self": rr.issue_self(issue.id),
                "key": issue.key,
                "fields": {
                    k: full.get(k)
                    for k in ("summary", "issuetype", "project", "assignee", "priority", "status")
                },
            }
        return out
    if name.startswith("issuelink_"):
        lk = ev.link
        t = lk.type
        out["issueLink"] = {
            "id": int(lk.id) if str(lk.id).isdigit() else lk.id,
            "sourceIssueId": int(lk.source_id) if str(lk.source_id).isdigit() else lk.source_id,
            "destinationIssueId": int(lk.dest_id) if str(lk.dest_id).isdigit() else lk.dest_id,
            "issueLinkType": {
                "id": int(t["id"]) if str(t.get("id", "")).isdigit() else t.get("id"),
                "name": t.get("name"),
                "outwardName": t.get("outward"),
                "inwardName": t.get("inward"),
                "isSubTaskLinkType": False,
                "isSystemLinkType": False,
            },
            "systemLink": False,
        }
        return out
    if name == "sprint_updated":
        out["sprint"] = rr.agile_sprint(ev.extra["sprint"])
        old = dict(ev.extra.get("oldValue") or {})
        out["oldValue"] = {
            k: v
            for k, v in old.items()
            if k in ("id", "name", "state", "startDate", "endDate", "completeDate", "goal", "originBoardId")
        }
        return out
    if name == "jira:version_updated":
        v = dict(ev.extra["version"])
        v["self"] = f"{rr.api('2')}/version/{v.get('id')}"
        out["version"] = v
        return out
    return None


def ado_payload(emulator: Any, org: Any, ev: Any, emitter: WebhookEmitter, now: Any) -> dict:
    """A service-hook envelope for one :class:`~sandbox.ado.ops.AdoEvent`."""
    rr = emulator.renderer(org)
    wi = ev.item
    project = org.project(wi.project)
    title = wi.fields.get("System.Title", "")
    wtype = wi.type_name
    who = (
        (ev.actor or {}).get("displayName", "Sandbox User")
        if isinstance(ev.actor, dict)
        else str(ev.actor or "")
    )
    link = f"{rr.base}/{project.name if project else ''}/_workitems/edit/{wi.id}"
    verb = {
        "workitem.created": "created",
        "workitem.updated": "updated",
        "workitem.deleted": "deleted",
        "workitem.restored": "restored",
        "workitem.commented": "commented on",
    }[ev.name]
    label = f"{wtype} #{wi.id}"
    text = f"{label} ({title}) {verb} by {who}."
    message = {
        "text": f"{text}\r\n({link})",
        "html": f'<a href="{link}">{label}</a> ({title}) {verb} by {who}.',
        "markdown": f"[{label}]({link}) ({title}) {verb} by {who}.",
    }
    detail_lines = [f"State: {wi.fields.get('System.State', '')}"]
    if ev.comment:
        detail_lines = [str(ev.comment.get("text", ""))]
    detailed = {
        "text": message["text"] + "\r\n\r\n" + "\r\n".join(f"- {x}" for x in detail_lines) + "\r\n",
        "html": message["html"] + "<ul>" + "".join(f"<li>{x}</li>" for x in detail_lines) + "</ul>",
        "markdown": message["markdown"] + "\r\n\r\n" + "\r\n".join(f"* {x}" for x in detail_lines) + "\r\n",
    }
    if ev.name == "workitem.updated":
        ups = rr.updates(wi)
        n = ev.update_index if ev.update_index is not None else len(wi.revisions) - 1
        upd = dict(ups[n])
        snap = wi.revisions[n]
        upd["_links"] = {
            "self": {"href": upd["url"]},
            "parent": {"href": rr.wi_url(wi.id)},
            "workItemUpdates": {"href": f"{rr.wi_url(wi.id)}/updates"},
        }
        rev = rr.work_item_dict(
            wi, None, "relations", snapshot=snap, url=f"{rr.wi_url(wi.id)}/revisions/{snap['rev']}"
        )
        upd["revision"] = rev
        resource = upd
    elif ev.name == "workitem.deleted":
        pb = rr.project_base(project) if project else rr.base
        resource = rr.work_item_dict(wi, None, "links", url=f"{pb}/_apis/wit/recyclebin/{wi.id}")
        resource["_links"]["self"] = {"href": resource["url"]}
        for k in ("workItemUpdates", "workItemRevisions", "workItemComments", "html"):
            resource["_links"].pop(k, None)
    else:
        snap = wi.revisions[ev.update_index] if ev.update_index is not None else None
        resource = rr.work_item_dict(wi, None, "all", snapshot=snap)
        resource.setdefault("_links", rr.links(wi, project))
    org_url = rr.base + "/"
    return {
        "subscriptionId": stable_uuid("ado-subscription", org.name),
        "notificationId": emitter.next_notification_id(),
        "id": str(uuid.uuid4()),
        "eventType": ev.name,
        "publisherId": "tfs",
        "message": message,
        "detailedMessage": detailed,
        "resource": resource,
        "resourceVersion": "1.0",
        "resourceContainers": {
            "collection": {"id": org.id, "baseUrl": org_url},
            "account": {"id": org.id, "baseUrl": org_url},
            "project": {"id": project.id if project else org.id, "baseUrl": org_url},
        },
        "createdDate": ado_ts(now),
    }
