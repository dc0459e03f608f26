"""`poalign hooks install | check | remove`: poalign's webhook in every configured tracker, registered
through the tracker's own API (each kind's connectors.base.HookRegistrar), and whether deliveries
arrive (the last one the store's inbox holds, and what the tracker reports).

The URL a source's tracker posts to is `<service.public_url or --url>/webhooks/<kind>/<source>`, the
route `poalign serve` answers; the credentials registered are the ones the source's receiver checks
(its `webhook` config), so nothing is configured by hand on either side.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

from sqlalchemy.orm import Session, sessionmaker

from connectors.base import HookChange, HookRegistrar, HookTarget, Registration, WebhookSecrets
from connectors.errors import TrackerError
from connectors.hooks import plan, route_path
from connectors.registry import tracker
from service.config.loader import LoadedConfig
from service.config.schema import SourceConfig
from service.sources import MissingSecretError, projects_of, settings_for
from service.store.inbox import last_received

Status = Literal["ok", "missing", "changed", "failing", "error"]


class HooksUnusable(Exception):
    """Nothing can be registered at all: no public URL."""


class SourceNotHookable(Exception):
    """This source cannot be registered: nothing to verify deliveries with, no project, or a kind
    whose webhooks poalign cannot register (said for the source; the others go on)."""


@dataclass
class SourceHooks:
    """One source's outcome: the changes made (install/remove) or its state (check)."""

    source: str
    status: Status
    registrations: list[Registration] = field(default_factory=list)
    changes: list[HookChange] | None = None  # install and remove: what they did
    last_delivery: datetime | None = None
    detail: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def as_json(self) -> dict[str, object]:
        out: dict[str, object] = {
            "source": self.source,
            "status": self.status,
            "registrations": [registration.as_json() for registration in self.registrations],
            "last_delivery": iso(self.last_delivery),
            "detail": self.detail,
        }
        if self.changes is not None:
            out["changes"] = [
                {"action": change.action, **change.registration.as_json()} for change in self.changes
            ]
        return out


def public_base(loaded: LoadedConfig, url: str | None) -> str:
    base = url or loaded.config.service.public_url
    if not base:
        raise HooksUnusable(
            f"no public URL for the webhooks: set service.public_url in {loaded.path} (the base URL the "
            "trackers reach `poalign serve` at) or pass --url"
        )
    if not base.startswith(("http://", "https://")):
        raise HooksUnusable(f"--url {base!r} is not an http(s) URL")
    return base.rstrip("/")


def target_for(loaded: LoadedConfig, source: SourceConfig, base: str) -> HookTarget:
    """What the source's receiver expects; an error naming the key when it could verify nothing."""
    hook = source.webhook
    secrets = WebhookSecrets(
        secret=loaded.secret(hook.secret_env) if hook else None,
        username=loaded.secret(hook.username_env) if hook else None,
        password=loaded.secret(hook.password_env) if hook else None,
        header=hook.header if hook else None,
    )
    if not (secrets.secret or secrets.password):
        needs = "webhook.secret_env" if source.kind == "jira" else "webhook.username_env/password_env"
        raise SourceNotHookable(
            f"source {source.name}: no webhook credentials to register (set {needs} to a variable that is "
            f"set): the receiver would refuse every delivery"
        )
    projects = projects_of(loaded, source.name)
    if not projects:
        raise SourceNotHookable(f"source {source.name}: no team uses it, so there is no project to hook")
    return HookTarget(
        url=base + route_path(source.kind, source.name), secrets=secrets, projects=tuple(projects)
    )


def _registrar(loaded: LoadedConfig, source: SourceConfig) -> HookRegistrar:
    make = tracker(source.kind).hooks
    if make is None:
        raise SourceNotHookable(
            f"source {source.name}: {source.kind} webhooks cannot be registered by poalign; "
            "register them by hand (see the README)"
        )
    return make(settings_for(loaded, source))


def _sources(loaded: LoadedConfig, only: Sequence[str]) -> list[SourceConfig]:
    return [source for source in loaded.config.sources if not only or source.name in only]


def _each(
    loaded: LoadedConfig, only: Sequence[str], work: Callable[[SourceConfig], SourceHooks]
) -> list[SourceHooks]:
    results = []
    for source in _sources(loaded, only):
        try:
            results.append(work(source))
        except (TrackerError, MissingSecretError, SourceNotHookable) as error:
            results.append(SourceHooks(source.name, "error", detail=str(error)))
    return results


def install(
    loaded: LoadedConfig, only: Sequence[str] = (), url: str | None = None, force: bool = False
) -> list[SourceHooks]:
    base = public_base(loaded, url)

    def one(source: SourceConfig) -> SourceHooks:
        target = target_for(loaded, source, base)
        changes = _registrar(loaded, source).install(target, force=force)
        kept = [change.registration for change in changes if change.action != "deleted"]
        changed = any(change.action != "unchanged" for change in changes)
        return SourceHooks(
            source.name,
            "changed" if changed else "ok",
            registrations=kept,
            changes=changes,
            detail=_summary(changes),
        )

    return _each(loaded, only, one)


def remove(loaded: LoadedConfig, only: Sequence[str] = ()) -> list[SourceHooks]:
    def one(source: SourceConfig) -> SourceHooks:
        changes = _registrar(loaded, source).remove()
        detail = (
            f"removed {len(changes)} registration(s)" if changes else "nothing of poalign's was registered"
        )
        return SourceHooks(source.name, "ok", changes=changes, detail=detail)

    return _each(loaded, only, one)


def check(
    loaded: LoadedConfig,
    factory: sessionmaker[Session] | None,
    only: Sequence[str] = (),
    url: str | None = None,
) -> list[SourceHooks]:
    base = public_base(loaded, url)
    names = [source.name for source in _sources(loaded, only)]
    seen: dict[str, datetime] = {}
    if factory is not None:
        with factory() as session:
            seen = last_received(session, names)

    def one(source: SourceConfig) -> SourceHooks:
        registrar = _registrar(loaded, source)
        wanted = registrar.desired(target_for(loaded, source, base))
        listed = registrar.registered()
        steps = plan(wanted, listed)
        registrations = registrar.problems(listed)
        last = seen.get(source.name)
        if not listed:
            status: Status = "missing"
            detail = "nothing registered: run `poalign hooks install`"
        elif any(action != "unchanged" for action, _, _ in steps):
            status, detail = "changed", _differences(steps)
        elif problems := [r.problem for r in registrations if r.problem]:
            status, detail = "failing", "; ".join(dict.fromkeys(problems))
        else:
            status = "ok"
            detail = f"{len(listed)} registration(s) as wanted; " + (
                f"last delivery {iso(last)}" if last else "no delivery received yet"
            )
        return SourceHooks(
            source.name, status, registrations=registrations, last_delivery=last, detail=detail
        )

    return _each(loaded, only, one)


def _summary(changes: Sequence[HookChange]) -> str:
    counts: dict[str, int] = {}
    for change in changes:
        counts[change.action] = counts.get(change.action, 0) + 1
    if set(counts) <= {"unchanged"}:
        return f"no change: {counts.get('unchanged', 0)} registration(s) already as wanted"
    return ", ".join(
        f"{counts[action]} {action}"
        for action in ("created", "updated", "deleted", "unchanged")
        if action in counts
    )


def _differences(steps: Sequence[tuple[str, Registration | None, Registration | None]]) -> str:
    """What differs, each difference said once with the registrations it applies to."""
    said: dict[str, list[str]] = {}
    for action, want, have in steps:
        if action == "created" and want is not None:
            said.setdefault("not registered", []).append(want.purpose)
        elif action == "updated" and want is not None and have is not None:
            if have.url != want.url:
                why = f"posts to {have.url}, not {want.url}"
            elif set(have.events) != set(want.events):
                why = f"has events {', '.join(have.events) or 'none'}, not {', '.join(want.events)}"
            elif have.scope != want.scope:
                why = f"is scoped to {have.scope!r}, not {want.scope!r}"
            else:
                why = "is disabled"
            said.setdefault(why, []).append(want.purpose)
        elif action == "deleted" and have is not None:
            said.setdefault("not wanted (an extra registration)", []).append(f"{have.purpose} ({have.id})")
    parts = [
        f"{', '.join(which) if len(which) <= 3 else f'{len(which)} registrations'} {why}"
        for why, which in said.items()
    ]
    return "; ".join(parts) + ": run `poalign hooks install`"


def iso(when: datetime | None) -> str | None:
    if when is None:
        return None
    if when.tzinfo is None:  # SQLite hands back naive UTC
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).isoformat().replace("+00:00", "Z")
