"""What both trackers' webhook registrars share: comparing the wanted registrations with the listed
ones, reading the tracker's listings (untrusted JSON: any field may be missing, null or of another
type) and turning a refusal into a sentence that says what to grant.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any, TypeVar
from urllib.parse import urlsplit

from connectors.base import HookAction, HookChange, Registration
from connectors.errors import AuthError, PermissionDeniedError, TrackerError
from connectors.parsing import token

T = TypeVar("T")

# (action, the wanted registration, the listed one): what `install` does, and what `check` reports.
Step = tuple[HookAction, Registration | None, Registration | None]


def route_path(kind: str, source: str) -> str:
    """The path every URL of this source's webhook ends with (`poalign serve`'s route): the marker that
    finds poalign's registrations again whatever base URL they were given."""
    return f"/webhooks/{kind}/{source}"


def is_ours(url: str, kind: str, source: str) -> bool:
    try:
        path = urlsplit(url).path.rstrip("/")
    except ValueError:
        return False
    return path.endswith(route_path(kind, source))


def plan(
    wanted: Sequence[Registration], listed: Sequence[Registration], *, force: bool = False
) -> list[Step]:
    """Match listed registrations to wanted ones by purpose: the same → unchanged (updated with
    `force`, or when the tracker disabled it); different → updated in place; none → created; every
    other listed one (a duplicate, a project no longer configured) → deleted."""
    by_purpose: dict[str, list[Registration]] = {}
    for registration in listed:
        by_purpose.setdefault(registration.purpose, []).append(registration)
    steps: list[Step] = []
    for want in wanted:
        found = by_purpose.pop(want.purpose, [])
        if not found:
            steps.append(("created", want, None))
            continue
        found.sort(key=lambda listed_one: not listed_one.same_as(want))  # keep the one that matches
        keep, *extra = found
        same = keep.same_as(want) and keep.enabled and not force
        steps.append(("unchanged" if same else "updated", want, keep))
        steps += [("deleted", None, duplicate) for duplicate in extra]
    for leftover in by_purpose.values():
        steps += [("deleted", None, registration) for registration in leftover]
    return steps


def apply(
    steps: Sequence[Step],
    create: Callable[[Registration], Registration],
    update: Callable[[Registration, Registration], Registration],
    delete: Callable[[Registration], None],
) -> list[HookChange]:
    changes: list[HookChange] = []
    for action, want, have in steps:
        if action == "created" and want is not None:
            changes.append(HookChange("created", create(want)))
        elif action == "updated" and want is not None and have is not None:
            changes.append(HookChange("updated", update(want, have)))
        elif action == "deleted" and have is not None:
            delete(have)
            changes.append(HookChange("deleted", have))
        elif have is not None:
            changes.append(HookChange("unchanged", have))
    return changes


def with_id(
    registration: Registration, answer: Any, read_id: Callable[[Any], str | None], known: str = ""
) -> Registration:
    """The wanted registration as created or updated: with the id the tracker's answer names (else the
    id it had, `known`)."""
    return replace(registration, id=read_id(answer) or known, enabled=True, problem=None)


# -- reading listings ------------------------------------------------------------------------------


def text(value: Any, limit: int = 2000) -> str | None:
    """A printable string field (ids, names, URLs), else None (numbers are read as their digits)."""
    return token(value, limit)


def texts(value: Any, limit: int = 200, most: int = 100) -> tuple[str, ...]:
    """A list of printable strings (event names); anything else in it is dropped."""
    if not isinstance(value, list):
        return ()
    found = (text(entry, limit) for entry in value[:most])
    return tuple(dict.fromkeys(entry for entry in found if entry))


def mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def entries(value: Any) -> list[dict[str, Any]]:
    """The objects of a listing: a JSON array, or ADO's {"count", "value": [...]} wrapper."""
    if isinstance(value, dict):
        value = value.get("value")
    return [entry for entry in value if isinstance(entry, dict)] if isinstance(value, list) else []


# -- refusals --------------------------------------------------------------------------------------


def explained(error: TrackerError, what: str, permission: str, credentials: str) -> TrackerError:
    """A 401/403 from a registration call, said as what the account needs; other errors unchanged."""
    if error.status == 403:
        return PermissionDeniedError(
            f"{what} was refused: {permission} ({error.message})", status=403, url=error.url
        )
    if error.status == 401:
        return AuthError(f"{what} was refused: {credentials} ({error.message})", status=401, url=error.url)
    return error


def call_explained(operation: Callable[[], T], what: str, permission: str, credentials: str) -> T:
    try:
        return operation()
    except TrackerError as error:
        raise explained(error, what, permission, credentials) from None
