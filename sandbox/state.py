"""What both emulators share while they run: the world, auth, faults, the request log, webhooks,
the clock, and the caches of users and identities.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from .admin import build_admin
from .ado.emulator import AdoEmulator
from .ado.resource_json import identity
from .ado.script import AdoScript
from .atlassian_oauth import OAuthState
from .deliveries import WebhookEmitter, ado_payload, jira_payload
from .faults import FaultConfig, FaultInjector, RequestLog
from .formats import utcnow
from .hook_registry import HookRegistry
from .identity import IdentityState
from .jira.emulator import JiraEmulator, make_user
from .jira.script import JiraScript
from .world import World


class SandboxState:
    """Everything the emulators share: the world, auth, faults, the log, webhooks, the clock."""

    def __init__(
        self,
        world: World,
        *,
        token: str,
        jira_mode: str | None,
        host: str,
        jira_faults: FaultConfig,
        ado_faults: FaultConfig,
        emitter: WebhookEmitter,
        source_names: Callable[[str, str], str],
    ) -> None:
        self.world = world
        self.token = token
        self.jira_mode = jira_mode
        self.host = host
        self.jira_port = 0
        self.ado_port = 0
        self.request_log = RequestLog()
        self.faults = {"jira": FaultInjector(jira_faults), "ado": FaultInjector(ado_faults)}
        self.webhooks = emitter
        self.hooks = HookRegistry()  # webhooks registered through the trackers' APIs
        self.source_names = source_names
        # auth="modern": the Entra-style identity whose tokens alone the ADO emulator accepts
        self.identity: IdentityState | None = None
        # auth="modern": Jira Cloud answers API calls only through the api.atlassian.com-style gateway
        self.jira_gateway_only = False
        # auth="modern": the auth.atlassian.com-style 3LO app with rotating refresh tokens (sandbox.atlassian_oauth)
        self.jira_oauth: OAuthState | None = None
        self._offset = timedelta()
        self._frozen: datetime | None = None
        self._users: dict[tuple[str, str], dict] = {}
        self._identities: dict[str, dict] = {}
        self._known_fields: dict[str, dict[str, str]] = {}
        self._comment_index: dict[str, dict[str, str]] = {}
        self.jira_emulator = JiraEmulator(self, self.faults["jira"], self.request_log)
        self.ado_emulator = AdoEmulator(self, self.faults["ado"], self.request_log)
        self.admin = build_admin(self)
        self._export_hook: Callable[[str], Path] | None = None

    # -- clock -----------------------------------------------------------------------------
    def now(self) -> datetime:
        if self._frozen is not None:
            return self._frozen
        return utcnow() + self._offset

    def set_now(self, when: datetime | None, frozen: bool = False) -> None:
        if when is None:
            self._offset, self._frozen = timedelta(), None
        elif frozen:
            self._frozen = when
        else:
            self._frozen = None
            self._offset = when - utcnow()

    # -- urls ------------------------------------------------------------------------------
    @property
    def jira_root(self) -> str:
        return f"http://{_url_host(self.host)}:{self.jira_port}"

    @property
    def ado_root(self) -> str:
        return f"http://{_url_host(self.host)}:{self.ado_port}"

    def jira_site_url(self, site: str) -> str:
        return f"{self.jira_root}/{site}"

    def ado_org_url(self, org: str) -> str:
        return f"{self.ado_root}/{org}"

    # -- identities --------------------------------------------------------------------------
    def jira_user(self, email_or_name: str, tz: str = "UTC") -> dict:
        k = (email_or_name, tz)
        u = self._users.get(k)
        if u is None:
            u = self._users[k] = make_user(email_or_name, tz)
        return u

    def ado_identity(self, name: str = "Sandbox User") -> dict:
        ident = self._identities.get(name)
        if ident is None:
            email = (
                "sandbox@sandbox.invalid"
                if name == "Sandbox User"
                else (f"{name.lower().replace(' ', '.')}@sandbox.invalid")
            )
            ident = self._identities[name] = identity(name, email, self.ado_root)
        return ident

    def known_fields(self, org: Any) -> dict[str, str]:
        from .ado.wiql_parse import known_fields

        kf = self._known_fields.get(org.name)
        if kf is None:
            kf = self._known_fields[org.name] = known_fields(org)
        return kf

    def comment_index(self, site: Any) -> dict[str, str]:
        return self._comment_index.setdefault(site.name, {})

    # -- scripting / events --------------------------------------------------------------------
    def jira_script(self, site: str | None = None) -> JiraScript:
        return JiraScript(self, self.world.jira_site(site))

    def ado_script(self, org: str | None = None) -> AdoScript:
        return AdoScript(self, self.world.ado_org(org))

    def emit_jira(self, emulator: JiraEmulator, site: Any, events: Iterable[Any]) -> None:
        idx = self.comment_index(site)
        for ev in events:
            if ev.comment is not None and ev.issue is not None and ev.name == "comment_created":
                idx[str(ev.comment.get("id"))] = ev.issue.id
        registered = bool(self.hooks.jira.get(site.name))
        if not (self.webhooks.enabled or registered):
            return
        ms = int(self.now().timestamp() * 1000)
        for ev in events:
            payload = jira_payload(emulator, site, ev, ms)
            if payload is not None:
                self.webhooks.submit("jira", site.name, ev.name, payload, ev.flow)
                if registered:
                    self.hooks.deliver_jira(self.webhooks, site, ev, payload, self._jql_matcher(site))

    def emit_ado(self, emulator: AdoEmulator, org: Any, events: Iterable[Any]) -> None:
        events = list(events)
        kf = self._known_fields.get(org.name)
        if kf is not None:
            for ev in events:
                for k in ev.item.fields:
                    kf.setdefault(k.lower(), k)
        registered = bool(self.hooks.ado.get(org.name))
        if not (self.webhooks.enabled or registered):
            return
        for ev in events:
            payload = ado_payload(emulator, org, ev, self.webhooks, self.now())
            self.webhooks.submit("ado", org.name, ev.name, payload)
            if registered:
                self.hooks.deliver_ado(self.webhooks, org, ev, org.project(ev.item.project), payload)

    def _jql_matcher(self, site: Any) -> Callable[[str, Any], bool]:
        """Whether a webhook's JQL filter selects an issue (a filter that no longer parses selects none)."""
        from .jira import jql_eval, jql_parse

        def matches(jql: str, issue: Any) -> bool:
            try:
                query = jql_parse.parse(jql, site, site.options.get("userTimeZone", "UTC"), self.now())
                return query.where is None or jql_eval.matches(site, issue, query.where)
            except jql_parse.JqlError:
                return False

        return matches

    # -- admin ASGI --------------------------------------------------------------------------
    def info(self) -> dict:
        return {
            "jira": {
                n: {
                    "url": self.jira_site_url(n),
                    "mode": self.jira_emulator.mode(s),
                    "source": self.source_names("jira", n),
                }
                for n, s in self.world.jira.items()
            },
            "ado": {
                n: {
                    "url": self.ado_org_url(n),
                    "source": self.source_names("ado", n),
                    "projects": sorted(p.name for p in o.projects.values()),
                }
                for n, o in self.world.ado.items()
            },
            "counts": self.world.counts(),
        }

    def export(self, path: str) -> Path:
        return self.world.export(path)


def _url_host(host: str) -> str:
    if host in ("0.0.0.0", "", "::"):  # noqa: S104 - a display rule, not a bind
        return "127.0.0.1"
    return f"[{host}]" if ":" in host else host
