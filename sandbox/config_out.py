"""``sandbox serve --config-out FILE``: a poalign config that works against the running sandbox.

One source per Jira site and per ADO organization, one team per Jira project and per ADO team
(a project's default team owns whatever the other teams' area paths do not cover). The world's
own ``poalign.yaml`` is merged in: its teams, product owners, Chief PO and policy win; its
sources are matched to the sandbox's sites/orgs by name or by a shared public URL, and their
URLs and credentials are replaced by the sandbox's (their aliases are kept and extended).

Only environment-variable *names* go in the YAML. Their values (the sandbox token, the user
name, the webhook secret and ADO service-hook credentials the sandbox signs with) go in a
``.env`` file beside it, which poalign reads for variables that are not already set.

Aliases: a Jira site's public URLs come from its ``site.json`` (``baseUrl``, ``aliases``), an ADO
organization's from ``https://dev.azure.com/<org>`` plus ``org.json`` ``aliases``. Cross-tracker
links in the world use those public URLs, so the aliases make them resolve.
"""

from __future__ import annotations

import base64
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .ado.org import Team
from .formats import slug
from .world import World


def _env_prefix(source: str) -> str:
    return "POALIGN_" + re.sub(r"[^A-Z0-9]+", "_", source.upper()).strip("_")


def _world_sources(world: World) -> list[dict]:
    return [s for s in ((world.poalign or {}).get("sources") or []) if isinstance(s, dict)]


def _norm(u: str) -> str:
    return u.rstrip("/").lower()


def source_plan(world: World) -> list[dict]:
    """``[{"kind", "tenant", "name", "aliases", "world"}]`` for every site and organization."""
    ws = _world_sources(world)
    used: set[int] = set()
    plan: list[dict] = []
    for kind, tenants in (("jira", world.jira), ("azure-devops", world.ado)):
        for tenant, obj in tenants.items():
            default = f"{'jira' if kind == 'jira' else 'ado'}-{slug(tenant)}"
            public = [_norm(u) for u in obj.public_urls]
            match = None
            for i, s in enumerate(ws):
                if i in used or s.get("kind", kind) != kind:
                    continue
                urls = [_norm(u) for u in [s.get("url") or "", *(s.get("aliases") or [])] if u]
                if s.get("name") in (default, tenant) or set(urls) & set(public):
                    match = i
                    break
            if match is not None:
                used.add(match)
            w = ws[match] if match is not None else {}
            aliases = list(dict.fromkeys([*(w.get("aliases") or []), *obj.public_urls]))
            plan.append(
                {
                    "kind": kind,
                    "tenant": tenant,
                    "name": w.get("name") or default,
                    "aliases": aliases,
                    "world": w,
                }
            )
    return plan


def source_names_for(world: World) -> Callable[[str, str], str]:
    """``(kind, tenant) -> source name`` as the config will call it (for ``{source}`` in webhook URLs)."""
    names = {("jira" if p["kind"] == "jira" else "ado", p["tenant"]): p["name"] for p in source_plan(world)}

    def name(kind: str, tenant: str) -> str:
        k = "jira" if kind == "jira" else "ado"
        return names.get((k, tenant)) or f"{k}-{slug(tenant)}"

    return name


def owned_area(team: Team) -> str | None:
    """The area path a team owns, as its team settings say (TeamFieldValues ``values``): the default
    value when it is one of them, else the first one. ``defaultValue`` alone only says where the team's
    new work items go, so a team whose default is the project root but whose values name a sub-area
    owns that sub-area. poalign's scope takes one area path; a team with several keeps the first."""
    values = [path for path, _children in team.area_paths]
    if not values:
        return team.default_area
    return team.default_area if team.default_area in values else values[0]


def build_config(
    world: World,
    jira_urls: dict[str, str],
    ado_urls: dict[str, str],
    jira_modes: dict[str, str],
    *,
    token: str,
    webhook_secret: str,
    ado_webhook_user: str,
    ado_webhook_password: str,
    database_url: str = "sqlite:///poalign.db",
    jira_user: str = "sandbox@example.com",
) -> tuple[dict, dict[str, str]]:
    """The config mapping and the ``.env`` values."""
    wp = dict(world.poalign or {})
    env: dict[str, str] = {}
    sources: list[dict] = []
    teams: list[dict] = []
    team_names: set[str] = set()

    def team_name(preferred: str, qualifier: str) -> str:
        name = preferred
        if name in team_names:
            name = f"{preferred} ({qualifier})"
        team_names.add(name)
        return name

    for p in source_plan(world):
        name, tenant, kind = p["name"], p["tenant"], p["kind"]
        prefix = _env_prefix(name)
        extra = {
            k: v
            for k, v in p["world"].items()
            if k not in ("name", "kind", "url", "deployment", "auth", "webhook", "aliases")
        }
        if kind == "jira":
            mode = jira_modes[tenant]
            if mode == "cloud":
                auth = {"scheme": "basic", "user_env": f"{prefix}_USER", "token_env": f"{prefix}_TOKEN"}
                env[f"{prefix}_USER"] = jira_user
            else:
                auth = {"scheme": "bearer", "token_env": f"{prefix}_TOKEN"}
            env[f"{prefix}_TOKEN"] = token
            env[f"{prefix}_WEBHOOK_SECRET"] = webhook_secret
            src = {
                "name": name,
                "kind": "jira",
                "url": jira_urls[tenant],
                "deployment": mode,
                "auth": auth,
                "webhook": {"secret_env": f"{prefix}_WEBHOOK_SECRET"},
            }
        else:
            env[f"{prefix}_TOKEN"] = token
            env[f"{prefix}_WEBHOOK_USER"] = ado_webhook_user
            env[f"{prefix}_WEBHOOK_PASSWORD"] = ado_webhook_password
            src = {
                "name": name,
                "kind": "azure-devops",
                "url": ado_urls[tenant],
                "auth": {"scheme": "basic", "token_env": f"{prefix}_TOKEN"},
                "webhook": {
                    "username_env": f"{prefix}_WEBHOOK_USER",
                    "password_env": f"{prefix}_WEBHOOK_PASSWORD",
                },
            }
        if p["aliases"]:
            src["aliases"] = p["aliases"]
        src.update(extra)
        sources.append(src)
        if kind == "jira":
            site = world.jira[tenant]
            for key in sorted(site.projects):
                proj = site.projects[key]
                t: dict[str, Any] = {"name": team_name(str(proj.get("name") or key), f"{tenant} {key}")}
                lead = proj.get("lead")
                if isinstance(lead, dict) and lead.get("displayName"):
                    t["product_owner"] = lead["displayName"]
                t["source"] = name
                t["scope"] = {"project": key}
                teams.append(t)
        else:
            org = world.ado[tenant]
            for project in sorted(org.projects.values(), key=lambda x: x.name):
                others = [x for x in project.teams.values() if not x.is_default]
                for tm in sorted(project.teams.values(), key=lambda x: (not x.is_default, x.name)):
                    scope: dict[str, Any] = {"project": project.name}
                    area = None if tm.is_default and others else owned_area(tm)
                    if area and area != project.name:
                        scope["area_path"] = area
                    scope["team"] = tm.name
                    teams.append(
                        {
                            "name": team_name(tm.name, f"{tenant} {project.name}"),
                            "source": name,
                            "scope": scope,
                        }
                    )
    cfg: dict[str, Any] = {"database": {"url": database_url}}
    chief = wp.get("chief_product_owner")
    if chief:
        cfg["chief_product_owner"] = chief
    cfg["sources"] = sources
    if wp.get("teams"):
        cfg["teams"] = wp["teams"]
    else:
        cfg["teams"] = teams
    for k, v in wp.items():
        if k not in ("database", "chief_product_owner", "sources", "teams"):
            cfg[k] = v
    return cfg, env


def _modern_auth(cfg: dict, env: dict[str, str], identity: Any, gateway: str, oauth: Any = None) -> None:
    """auth="modern": Azure DevOps sources sign in as the sandbox's Entra service principal; Jira
    Cloud sources use a scoped token through the sandbox's api.atlassian.com-style gateway, or, with
    ``oauth`` (jira_auth="oauth"), the sandbox's 3LO app: its first refresh token goes in the .env as
    ``<PREFIX>_REFRESH_TOKEN`` for `poalign auth jira-oauth` to seed the store with, and a Fernet
    key to encrypt it at rest as ``POALIGN_GRANT_KEY``."""
    state = identity.state
    for source in cfg["sources"]:
        if source["kind"] == "jira" and source.get("deployment") == "cloud":
            if oauth is None:
                source["auth"] = {**source["auth"], "scheme": "scoped-token", "gateway_url": gateway}
                continue
            prefix = _env_prefix(source["name"])
            env.pop(str(source["auth"].get("token_env")), None)  # the user variable may be shared
            env[f"{prefix}_CLIENT_SECRET"] = oauth.client_secret
            env[f"{prefix}_REFRESH_TOKEN"] = oauth.initial_refresh_token
            env["POALIGN_GRANT_KEY"] = base64.urlsafe_b64encode(os.urandom(32)).decode()
            source["auth"] = {
                "scheme": "oauth",
                "client_id": oauth.client_id,
                "client_secret_env": f"{prefix}_CLIENT_SECRET",
                "token_url": f"{gateway}/oauth/token",
                "gateway_url": gateway,
            }
        if source["kind"] != "azure-devops":
            continue
        prefix = _env_prefix(source["name"])
        env.pop(f"{prefix}_TOKEN", None)
        env[f"{prefix}_CLIENT_SECRET"] = state.client_secret
        source["auth"] = {
            "scheme": "entra",
            "tenant_id": state.tenant_id,
            "client_id": state.client_id,
            "client_secret_env": f"{prefix}_CLIENT_SECRET",
            "authority_host": identity.authority_host,
            "ca_bundle": str(identity.ca_file),
        }


def write_config(
    server: Any,
    path: Path,
    *,
    database_url: str = "sqlite:///poalign.db",
    jira_user: str = "sandbox@example.com",
) -> tuple[Path, Path]:
    """Write ``path`` (YAML, variable names only) and ``.env`` beside it (their values)."""
    import yaml

    world = server.world
    modes = {n: server.jira_mode(n) for n in world.jira}
    cfg, env = build_config(
        world,
        server.jira_urls,
        server.ado_urls,
        modes,
        token=server.token,
        webhook_secret=server.webhook_secret,
        ado_webhook_user=server.ado_webhook_user,
        ado_webhook_password=server.ado_webhook_password,
        database_url=database_url,
        jira_user=jira_user,
    )
    if getattr(server, "identity_server", None) is not None:
        oauth = server.state.jira_oauth if getattr(server, "jira_auth", "") == "oauth" else None
        _modern_auth(cfg, env, server.identity_server, server.jira_root, oauth)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    header = (
        "# Written by `poalign sandbox serve --config-out`: a config for the running sandbox.\n"
        "# Credentials are named here and set in the .env file beside this one.\n"
    )
    path.write_text(header + yaml.safe_dump(cfg, sort_keys=False, allow_unicode=True), encoding="utf-8")
    env_path = path.parent / ".env"
    existing: dict[str, str] = {}
    if env_path.is_file():
        for line in env_path.read_text(encoding="utf-8").splitlines():
            if "=" in line and not line.lstrip().startswith("#"):
                k, _, v = line.partition("=")
                existing[k.strip()] = v
    # a grant key already there encrypts a stored grant: a new one would make it unreadable
    keep = {"POALIGN_GRANT_KEY"} & set(existing)
    existing.update({k: _quote(v) for k, v in env.items() if k not in keep})
    api_env = ((cfg.get("api") or {}).get("token_env")) or "POALIGN_API_TOKEN"
    if api_env not in existing and api_env not in os.environ:
        import secrets

        existing[api_env] = secrets.token_urlsafe(24)  # the dashboard/API token `poalign serve` asks for
    body = "# Written by `poalign sandbox serve`: secrets for the sandbox config beside this file.\n"
    body += "".join(f"{k}={v}\n" for k, v in existing.items())
    fd = os.open(env_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(body)
    return path, env_path


def _quote(v: str) -> str:
    if re.fullmatch(r"[A-Za-z0-9_.@:/+-]*", v):
        return v
    return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
