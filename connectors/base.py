"""The tracker boundary: what every tracker kind implements, and the entry it registers with.

The service talks to trackers only through these protocols and `connectors.registry`: reading (full and
incremental streams, re-reads by key), writing (poalign's comments and owned labels), webhooks (verify,
parse once; registered by `poalign hooks` where the kind can) and rendering (finding → comment body). A tracker kind is a folder under `connectors/` whose
`tracker.py` builds a `Tracker`, plus one `register` line in `connectors.registry`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, Protocol, runtime_checkable

from connectors.annotations import FindingView, ReplyView
from connectors.commands import CommentCommand
from connectors.records import CapacityRecord, FullSync, ItemRecord, IterationRecord, Page, WebhookEvent
from connectors.retry import CallStats
from connectors.settings import SourceSettings


@dataclass(frozen=True)
class StoredItem:
    """What the store holds of one item, for a reader deciding what to read besides the item itself
    (Jira's web links): its version, and whether its stored links include links read that way."""

    updated: datetime | None
    separate_links: bool = False


# Every key of a source that the store holds.
StoredVersions = Mapping[str, StoredItem]


class TrackerReader(Protocol):
    """Reads one source's items. Errors are connectors.errors classes; records are connectors.records."""

    def full(self, projects: Sequence[str], stored: StoredVersions) -> FullSync:
        """Every item of the projects: the complete listing of keys at once, then the pages."""
        ...

    def incremental(self, projects: Sequence[str], since: datetime, stored: StoredVersions) -> Iterator[Page]:
        """Items changed at or after `since` (minus the source's lookback), in pages ordered so that each
        page's watermark never passes an item not yet yielded; deletions ride on a page's deleted_ids."""
        ...

    def fetch(self, keys: Sequence[str]) -> tuple[list[ItemRecord], list[str]]:
        """Re-read items by key or id (webhook processing): the records, and the keys that are gone."""
        ...


@runtime_checkable
class ScopeQueries(Protocol):
    """A reader whose teams may be scoped by a query (a team's `scope.jql`): which keys it selects.

    Implemented by the readers of kinds whose `Tracker.scope_keys` include "jql".
    """

    def keys_matching(self, project: str, query: str, keys: Sequence[str] = ()) -> set[str]:
        """Keys of the project's items the query selects (among `keys` only, when given)."""
        ...


@runtime_checkable
class CommentReads(Protocol):
    """A reader whose `fetch` leaves comments out because each costs a request (Azure DevOps): the
    comment commands of these (fetched) items by key, read when a comment webhook names them."""

    def comment_commands(self, records: Sequence[ItemRecord]) -> dict[str, tuple[CommentCommand, ...]]: ...


@runtime_checkable
class ReadNotes(Protocol):
    """A reader that says what it chose while reading, and why (e.g. which items' web links it read);
    `poalign sync` prints the notes per source."""

    def read_notes(self) -> tuple[str, ...]: ...


@runtime_checkable
class PriorityOrder(Protocol):
    """A reader whose tracker lists its priorities in order (highest first): the service's priority scale
    for a source whose `policy.priority_scale` does not name a raw priority. Asked after the reader's
    first page (the list comes with the reader's discovery, not with a request of its own)."""

    def priority_order(self) -> tuple[str, ...]: ...


@runtime_checkable
class TeamCapacities(Protocol):
    """A reader whose tracker keeps each team's capacity per iteration (Azure DevOps): the capacity the
    team set for these iterations; none for an iteration it set none for."""

    def team_capacities(
        self, project: str, team: str, iterations: Sequence[IterationRecord]
    ) -> list[CapacityRecord]: ...


@runtime_checkable
class VocabularyCheck(Protocol):
    """A reader that can say, from the tracker's own lists and without reading items, what it would not
    classify (types, statuses without category, resolutions): `config validate --online`."""

    def vocabulary_notes(self, projects: Sequence[str]) -> tuple[str, ...]: ...


class TrackerWriter(Protocol):
    """Write-back to one source: poalign's comments, found again by their marker, and its owned labels.

    `body` is the text the kind's renderer made (stored and hashed by the service): turning it into what
    the tracker's API takes is the writer's business.
    """

    @property
    def deployment(self) -> str | None:
        """What the tracker says it is, one of `Tracker.deployments`; None for a kind with one deployment."""
        ...

    def our_comments(self, key: str, project: str | None) -> dict[str, str]:
        """fingerprint → comment id, for the comments poalign wrote on the item (read back from the tracker)."""
        ...

    def post(self, key: str, project: str | None, body: str, fingerprint: str) -> str:
        """Create the comment at most once, even when an answer is lost (connectors.annotations.post_once)."""
        ...

    def edit(self, key: str, project: str | None, comment_id: str, body: str) -> None: ...

    def delete(self, key: str, project: str | None, comment_id: str) -> None: ...

    def labels(self, key: str, project: str | None, add: list[str], remove: list[str]) -> None:
        """Add and remove these labels (tags) only: the team's own are never touched."""
        ...


class CommentRenderer(Protocol):
    def comment(self, view: FindingView, deployment: str | None) -> str:
        """The finding as a comment body for this deployment (None: the kind's default), as text."""
        ...

    def reply(self, view: ReplyView, deployment: str | None) -> str:
        """poalign's answer to comment commands on an item (connectors.commands), as text."""
        ...


@dataclass(frozen=True)
class WebhookSecrets:
    """A source's webhook settings with the secrets resolved from the environment (None: not set)."""

    secret: str | None = None
    username: str | None = None
    password: str | None = None
    header: str | None = None  # the name of a header carrying `secret`, for trackers that sign nothing

    def __repr__(self) -> str:  # never print a secret, even in a traceback's locals
        return f"WebhookSecrets(header={self.header!r}, ...)"


@dataclass(frozen=True)
class Refusal:
    """Why a delivery is not trusted: `reason` is said to the sender (401). `hint` is set when the source
    has nothing configured to verify with, and says what to configure (logged as an error)."""

    reason: str
    hint: str | None = None


class WebhookReceiver(Protocol):
    summary: str  # the route's one-line description (OpenAPI)

    def verify(self, body: bytes, headers: Mapping[str, str], secrets: WebhookSecrets) -> Refusal | None:
        """None when the raw body and headers prove the delivery authentic (constant-time compares; no
        configured secret means nothing is trusted); otherwise why not."""
        ...

    def parse(self, body: bytes, headers: Mapping[str, str]) -> WebhookEvent:
        """The delivery as an event, or a connectors.parsing.WebhookPayloadError saying what is wrong."""
        ...


@dataclass(frozen=True)
class HookTarget:
    """Where a source's deliveries should go and what its receiver verifies them with: what
    `poalign hooks install` registers in the tracker."""

    url: str  # the public URL of the source's route, .../webhooks/<kind>/<source>
    secrets: WebhookSecrets
    projects: tuple[str, ...]  # the configured scopes (Jira project keys, ADO project names)


@dataclass(frozen=True)
class Registration:
    """One webhook registration, as poalign wants it (`id` empty) or as the tracker lists it.

    `purpose` names what it is for within its source (Jira: "issues"; ADO: "<project>:<event>"), so
    a wanted and a listed registration are compared by purpose, and a changed URL updates in place.
    """

    purpose: str
    name: str
    url: str
    events: tuple[str, ...]
    scope: str  # jira: the JQL filter; ado: the project id
    id: str = ""
    enabled: bool = True
    problem: str | None = None  # a failure the tracker reports about it (disabled, failed deliveries)

    def same_as(self, other: Registration) -> bool:
        """Whether the tracker holds what is wanted (secrets are write-only, so never compared)."""
        return (self.url, set(self.events), self.scope) == (other.url, set(other.events), other.scope)

    def as_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "purpose": self.purpose,
            "name": self.name,
            "url": self.url,
            "events": list(self.events),
            "scope": self.scope,
            "enabled": self.enabled,
            "problem": self.problem,
        }


HookAction = Literal["created", "updated", "deleted", "unchanged"]


@dataclass(frozen=True)
class HookChange:
    action: HookAction
    registration: Registration


class HookRegistrar(Protocol):
    """Registers poalign's webhook in one source through the tracker's own API. It finds its own
    registrations again by their marker (name or URL path), and never touches anyone else's.
    Errors are connectors.errors classes whose message says what to grant or fix."""

    def desired(self, target: HookTarget) -> list[Registration]:
        """What should be registered for this target."""
        ...

    def registered(self) -> list[Registration]:
        """poalign's registrations of this source as the tracker lists them (with what it reports)."""
        ...

    def install(self, target: HookTarget, *, force: bool = False) -> list[HookChange]:
        """Make the tracker hold exactly `desired(target)`: create what is missing, update in place
        what differs (all of them with `force`, e.g. to send a rotated secret), delete extras."""
        ...

    def remove(self) -> list[HookChange]:
        """Delete poalign's registrations of this source, and only those."""
        ...

    def problems(self, registrations: Sequence[Registration]) -> list[Registration]:
        """The registrations with what the tracker reports about their recent deliveries (which may
        cost a request each), where its API tells."""
        ...


@dataclass(frozen=True)
class Tracker:
    """One tracker kind: how to reach it, and the facts about it the service must not hard-code."""

    kind: str  # the config's `kind:` and the webhook path segment
    reader: Callable[[SourceSettings, CallStats | None], TrackerReader]
    writer: Callable[[SourceSettings], TrackerWriter]
    webhooks: WebhookReceiver
    renderer: CommentRenderer
    # A raw priority (lower case) → 1 (highest) .. 5 (lowest), unless the config says otherwise.
    priority_scale: Mapping[str, int]
    # A regex of an item's URL path after the source's base URL; group 1 is the item's key.
    item_url_path: str
    # TeamScope keys besides `project` that apply to this kind ("jql" needs a ScopeQueries reader).
    scope_keys: frozenset[str] = field(default_factory=frozenset)
    # The config's `deployment:` values this kind knows (empty: the key does not apply).
    deployments: tuple[str, ...] = ()
    # Said when basic auth has no user but this kind needs one; {user_env} is the configured variable.
    basic_auth_without_user: str | None = None
    # The config's `auth.scheme` values this kind's clients speak.
    auth_schemes: frozenset[str] = frozenset({"basic", "bearer"})
    # Registers poalign's webhook in a source (`poalign hooks`); None: the kind cannot, hooks are by hand.
    hooks: Callable[[SourceSettings], HookRegistrar] | None = None
