"""Feed the hostile cases to the real parts and judge each outcome; shared by tests/hostile and the proof.

Every case ends in one outcome. Good ones: accepted/ok (the input was usable and read sensibly) or
refused/error (a 4xx or the project's own error, naming what is wrong). Bad ones: "5xx", "crash" (an
exception of the wrong kind escaped: a traceback for the operator), "unnamed" (an error that does not
say what is wrong) and "wrong" (a forged delivery accepted, a date misread, an error blaming nothing).
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml
from fastapi.testclient import TestClient
from sqlalchemy import select

from connectors.ado.backlogs import backlog_levels
from connectors.ado.normalize import normalize_work_item
from connectors.jira.fields import discover
from connectors.jira.normalize import normalize_issue
from connectors.jira.vocabulary import SiteVocabulary
from connectors.parsing import UnreadableItem
from connectors.records import ItemRecord
from connectors.settings import Vocabulary
from connectors.vocabulary import Tally, plain_name
from sandbox import SandboxServer, World, WorldError
from sandbox.config_out import build_config
from sandbox.jira.defaults import default_fields
from sandbox.testing import running_sandbox, small_world
from service.api.app import create_app
from service.config.loader import ConfigError, parse_config
from service.inbox_drain import drain
from service.ingest import IngestContext, SyncResult, write_page
from service.runtime import Runtime
from service.store.models import InboundEvent
from service.store.session import make_engine, make_sessionmaker
from testkit.hostile.tracker_cases import TrackerCase
from testkit.hostile.webhook_cases import Secrets, WebhookCase
from testkit.hostile.world_cases import WorldCase
from testkit.wiring import wire

BAD = frozenset({"5xx", "crash", "unnamed", "wrong"})
# Words that say "something failed" without saying what.
GENERIC = frozenset(
    {
        "error",
        "bad request",
        "invalid",
        "invalid input",
        "invalid request",
        "internal server error",
        "not found",
        "method not allowed",
        "unprocessable entity",
        "forbidden",
        "unauthorized",
        "failed",
        "none",
    }
)


@dataclass(frozen=True)
class Outcome:
    category: str
    variant: str
    result: str  # accepted | refused | ok | error | 5xx | crash | unnamed | wrong
    detail: str = ""

    @property
    def bad(self) -> bool:
        return self.result in BAD

    def __str__(self) -> str:
        return f"[{self.category}] {self.variant}: {self.result}: {self.detail[:300]}"


def names_problem(message: Any) -> bool:
    """A specific sentence: not empty, not one of the generic words, more than a bare token."""
    if isinstance(message, list):  # FastAPI validation details
        return bool(message) and all(
            names_problem(entry.get("msg")) for entry in message if isinstance(entry, dict)
        )
    if not isinstance(message, str):
        return False
    text = message.strip()
    return len(text) >= 12 and " " in text and text.lower().strip(".!") not in GENERIC


def bad_outcomes(outcomes: Iterable[Outcome]) -> list[str]:
    return [str(outcome) for outcome in outcomes if outcome.bad]


def tally(outcomes: Iterable[Outcome]) -> dict[str, dict[str, int]]:
    table: dict[str, dict[str, int]] = {}
    for outcome in outcomes:
        row = table.setdefault(outcome.category, {})
        row[outcome.result] = row.get(outcome.result, 0) + 1
    return table


# -- webhooks --------------------------------------------------------------------------------------


@dataclass
class WebhookRig:
    client: TestClient
    runtime: Runtime
    secrets: Secrets
    # Deliveries the sandbox made for real changes to its items: ("jira" | "ado", body). Mutating
    # them gives accepted events that name items the tracker has, so draining re-reads and stores.
    recorded: list[tuple[str, bytes]] = field(default_factory=list)


@contextmanager
def webhook_rig(store_url: str, directory: Path) -> Iterator[WebhookRig]:
    """The real app over a fresh store, its sources pointing at a running sandbox (so accepted events
    can be drained: processing re-reads items from the tracker)."""
    world = small_world(issues_per_project=6, items_per_project=6)
    # webhooks go to a closed port: the sandbox records each delivery's body without sending it
    closed = "http://127.0.0.1:9/webhooks/{kind}/{source}"
    with running_sandbox(world, webhook_urls=[closed], webhook_retry_delays=()) as sandbox:
        wired = wire(sandbox, directory, store_url)
        config = wired.loaded.config
        jira = next(s for s in config.sources if s.kind == "jira")
        ado = next(s for s in config.sources if s.kind == "azure-devops")
        secrets = Secrets(
            jira_secret=sandbox.webhook_secret,
            ado_user=sandbox.ado_webhook_user,
            ado_password=sandbox.ado_webhook_password,
            jira_source=jira.name,
            ado_source=ado.name,
            max_body_bytes=jira.webhook.max_body_bytes if jira.webhook else 1_000_000,
        )
        recorded = _record_deliveries(sandbox)
        runtime = Runtime.open(wired.loaded, url=store_url, process="hostile")
        try:
            with TestClient(create_app(runtime), raise_server_exceptions=False) as client:
                yield WebhookRig(client, runtime, secrets, recorded)
        finally:
            runtime.close()


def _record_deliveries(sandbox: SandboxServer) -> list[tuple[str, bytes]]:
    """Change a few items of the first Jira site and ADO organization; the deliveries that makes."""
    site = next(iter(sandbox.world.jira.values()))
    org = next(iter(sandbox.world.ado.values()))
    sandbox.wait_for_webhooks()
    sandbox.webhooks.clear()
    keys = sorted(issue.key for issue in site.issues.values())[:3]
    sandbox.jira(site.name).update(keys[0], priority="Low")
    sandbox.jira(site.name).update(keys[1], labels_add=["hostile"])
    sandbox.jira(site.name).comment(keys[2], "a comment")
    ids = sorted(org.items)[:3]
    sandbox.ado(org.name).update(ids[0], title="renamed")
    sandbox.ado(org.name).update(ids[1], tags_add=["hostile"])
    sandbox.ado(org.name).update(ids[2], comment="a comment")
    sandbox.wait_for_webhooks()
    return [
        (delivery.kind, delivery.body)
        for delivery in sandbox.webhooks
        if delivery.tenant in (site.name, org.name) and delivery.kind in ("jira", "ado")
    ]


def _header_bytes(value: str) -> bytes:
    try:
        return value.encode("latin-1")
    except UnicodeEncodeError:
        return value.encode("utf-8")


def post_webhook(rig: WebhookRig, case: WebhookCase) -> tuple[Outcome, str | None]:
    """Send one case; the outcome, and the delivery id when the app accepted it as new."""
    route = "jira" if case.tracker == "jira" else "azure-devops"
    source = case.source or (rig.secrets.jira_source if case.tracker == "jira" else rig.secrets.ado_source)
    headers = {name: _header_bytes(value) for name, value in case.headers.items()}
    if case.chunked:
        pieces = [case.body[i : i + 65_536] for i in range(0, len(case.body), 65_536)]
        content: Any = iter(pieces)
    else:
        content = case.body
    try:
        response = rig.client.post(f"/webhooks/{route}/{source}", content=content, headers=headers)
    except Exception as error:  # the app must answer everything; a client-side error here is ours
        return Outcome(case.category, case.variant, "crash", f"{type(error).__name__}: {error}"), None
    status = response.status_code
    try:
        body = response.json()
    except ValueError:
        body = None
    text = response.text[:300]
    if status >= 500:
        return Outcome(case.category, case.variant, "5xx", f"{status} {text}"), None
    if case.expect is not None and status != case.expect:
        return Outcome(
            case.category, case.variant, "wrong", f"expected {case.expect}, got {status} {text}"
        ), None
    if status == 202:
        if not (isinstance(body, dict) and body.get("accepted") is True):
            return Outcome(case.category, case.variant, "wrong", f"202 without an acceptance: {text}"), None
        return Outcome(case.category, case.variant, "accepted", text), None if body.get("duplicate") else str(
            body.get("delivery")
        )
    message = body.get("error", body.get("detail")) if isinstance(body, dict) else None
    if not names_problem(message):
        return Outcome(case.category, case.variant, "unnamed", f"{status} {text}"), None
    return Outcome(case.category, case.variant, "refused", f"{status} {message}"), None


def run_webhooks(rig: WebhookRig, cases: list[WebhookCase]) -> list[Outcome]:
    """Post every case, then check the inbox holds exactly the accepted deliveries and that draining
    them ends each one done, ignored, or waiting for a retry with the reason written down."""
    outcomes: list[Outcome] = []
    accepted: dict[str, WebhookCase] = {}
    for case in cases:
        outcome, delivery = post_webhook(rig, case)
        outcomes.append(outcome)
        if delivery is not None:
            accepted[delivery] = case
    return outcomes + drain_inbox(rig.runtime, accepted)


def drain_inbox(runtime: Runtime, accepted: dict[str, WebhookCase]) -> list[Outcome]:
    outcomes: list[Outcome] = []
    with runtime.factory() as session:
        rows = session.scalars(select(InboundEvent)).all()
        stored = {row.delivery_id for row in rows}
    for delivery in sorted(stored - set(accepted)):
        outcomes.append(Outcome("inbox", delivery[:80], "wrong", "stored, but no 202 said so"))
    for delivery in sorted(set(accepted) - stored):
        case = accepted[delivery]
        outcomes.append(Outcome("inbox", case.variant, "wrong", f"202 for {delivery!r}, but not stored"))
    for _ in range(50):
        try:
            summary = drain(runtime, limit=500)
        except Exception as error:  # an event that breaks the drain blocks every event behind it
            outcomes.append(Outcome("inbox", "drain", "crash", f"{type(error).__name__}: {error}"))
            return outcomes
        if summary.claimed == 0:
            break
    with runtime.factory() as session:
        for row in session.scalars(select(InboundEvent)):
            case = accepted.get(row.delivery_id)
            variant = case.variant if case else row.delivery_id[:80]
            if row.status in ("done", "ignored"):
                outcomes.append(Outcome("inbox", variant, "ok", f"{row.status} {row.error or ''}"))
            elif row.error and row.error.startswith("unexpected "):
                # the drain survived, but processing this event broke on something not the tracker's
                outcomes.append(Outcome("inbox", variant, "crash", f"{row.status}: {row.error}"))
            elif row.status in ("pending", "failed") and row.attempts > 0 and names_problem(row.error):
                outcomes.append(Outcome("inbox", variant, "error", f"{row.status}: {row.error}"))
            else:
                outcomes.append(
                    Outcome("inbox", variant, "unnamed", f"{row.status} after {row.attempts}: {row.error!r}")
                )
    return outcomes


# -- worlds ----------------------------------------------------------------------------------------


def check_world(case: WorldCase, directory: Path) -> Outcome:
    for name, content in case.files.items():
        target = directory / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if content is None:
            target.mkdir(parents=True, exist_ok=True)
        else:
            target.write_bytes(content)
    try:
        world = World.load(directory)
        world.counts()
        config_text = _config_out(world)
    except WorldError as error:
        message = str(error)
        if case.blamed and case.blamed not in message:
            return Outcome(case.category, case.variant, "wrong", f"does not name {case.blamed}: {message}")
        if not names_problem(message):
            return Outcome(case.category, case.variant, "unnamed", message)
        return Outcome(case.category, case.variant, "error", message)
    except Exception as error:
        return Outcome(case.category, case.variant, "crash", f"{type(error).__name__}: {error}")
    # `sandbox serve --config-out` merges the world's poalign.yaml into a config: that config either
    # loads or is refused with file, line and key, like any other.
    try:
        parse_config(config_text, directory / "config-out.yaml")
    except ConfigError as error:
        if not all(problem.line and names_problem(problem.message) for problem in error.problems):
            return Outcome(case.category, case.variant, "unnamed", f"config-out: {error}")
        return Outcome(case.category, case.variant, "error", f"config-out: {error}")
    except Exception as error:
        return Outcome(case.category, case.variant, "crash", f"config-out: {type(error).__name__}: {error}")
    return Outcome(case.category, case.variant, "ok")


def _config_out(world: World) -> str:
    """The config `sandbox serve --config-out` writes for this world (as if served on loopback)."""
    config, _env = build_config(
        world,
        {site: f"http://127.0.0.1:1/{site}" for site in world.jira},
        {org: f"http://127.0.0.1:2/{org}" for org in world.ado},
        dict.fromkeys(world.jira, "cloud"),
        token="t",
        webhook_secret="s",
        ado_webhook_user="u",
        ado_webhook_password="p",
    )
    return yaml.safe_dump(config, sort_keys=False)


def run_worlds(cases: list[WorldCase]) -> list[Outcome]:
    outcomes: list[Outcome] = []
    with tempfile.TemporaryDirectory(prefix="poalign-hostile-world-") as tmp:
        for index, case in enumerate(cases):
            directory = Path(tmp) / str(index)
            directory.mkdir()
            outcomes.append(check_world(case, directory))
    return outcomes


# -- tracker JSON ----------------------------------------------------------------------------------

JIRA_FIELDS = discover(default_fields())
TRACKER_CONFIG = """
sources:
  - {name: jira-hostile, kind: jira, url: "https://hostile.atlassian.net", auth: {user_env: U, token_env: T}}
  - {name: ado-hostile, kind: azure-devops, url: "https://dev.azure.com/hostile", auth: {token_env: T}}
teams:
  - {name: Jira team, source: jira-hostile, scope: {project: DAEMON}}
  - {name: ADO team, source: ado-hostile, scope: {project: WIRel000001}}
"""


# Type, status and resolution names are tracker text: the config's words for them go through the same
# comparisons as the site's (connectors.vocabulary), and the hostile item names its own site's lists.
HOSTILE_VOCABULARY = Vocabulary(
    types={"Zadanie": "story", "故事": "story"},
    delivered=frozenset({"10000", "erledigt"}),
    not_delivered=frozenset({"不做"}),
    status_categories={"Fertig": "done"},
)


def normalize(case: TrackerCase, tally: Tally | None = None) -> ItemRecord:
    """The record, with the site's lists built from the hostile item itself (its issue type and status
    as GET issuetype/status would list them; its work item type as a backlog level) and what stays
    unclassified counted in `tally`."""
    fields = case.item.get("fields") if isinstance(case.item, dict) else None
    fields = fields if isinstance(fields, dict) else {}
    if case.tracker == "jira":
        vocabulary = SiteVocabulary.from_site(
            HOSTILE_VOCABULARY, [fields.get("issuetype")], [fields.get("status")], cloud=True
        )
        return normalize_issue(
            case.item,
            JIRA_FIELDS,
            "https://hostile.atlassian.net",
            remote_links=(),
            vocabulary=vocabulary,
            tally=tally,
        )
    levels = backlog_levels(
        {"requirementBacklog": {"workItemTypes": [{"name": fields.get("System.WorkItemType")}]}}
    )
    return normalize_work_item(
        case.item,
        "https://dev.azure.com/hostile",
        categories={},
        iterations={},
        levels={plain_name(name): kind for name, kind in levels.items()},
        config=HOSTILE_VOCABULARY,
        tally=tally,
    )


def _read_as(value: Any) -> Any:
    """A record's date or timestamp as the date it names (a timestamp in its own offset)."""
    return value.date() if isinstance(value, datetime) else value


def check_tracker(case: TrackerCase) -> tuple[Outcome, ItemRecord | None]:
    tally = Tally("hostile-source")
    try:
        record = normalize(case, tally)
        notes = tally.notes()
    except UnreadableItem as error:
        message = str(error)
        named = [
            part for part in (case.field or "").replace("[", ".").split(".") if part and not part[0].isdigit()
        ]
        if case.key is not None and case.key not in message:
            return Outcome(case.category, case.variant, "wrong", f"does not name {case.key}: {message}"), None
        if named and not any(part.rstrip("]") in message for part in named):
            return Outcome(
                case.category, case.variant, "wrong", f"names no field of {case.field}: {message}"
            ), None
        if not names_problem(message):
            return Outcome(case.category, case.variant, "unnamed", message), None
        return Outcome(case.category, case.variant, "error", message), None
    except Exception as error:
        return Outcome(case.category, case.variant, "crash", f"{type(error).__name__}: {error}"), None
    if case.expect_attr is not None:
        value = _read_as(getattr(record, case.expect_attr))
        if value not in case.expect:
            return (
                Outcome(
                    case.category,
                    case.variant,
                    "wrong",
                    f"{case.expect_attr}={value!r}, expected one of {case.expect}",
                ),
                None,
            )
    for note in notes:  # printed by `poalign sync`, shown on /readyz: one printable line each
        if not note.isprintable() or len(note) > 600:
            return Outcome(case.category, case.variant, "wrong", f"unprintable note {note[:200]!r}"), None
    for name in ("story_points",):
        value = getattr(record, name)
        if isinstance(value, float) and not math.isfinite(value):
            return Outcome(case.category, case.variant, "wrong", f"{name}={value!r} is not a number"), None
    return Outcome(case.category, case.variant, "ok"), record


@dataclass
class TrackerStore:
    """A migrated store and an ingest context, so every record that normalizes is also written."""

    factory: Any
    context: IngestContext
    engine: Any = field(repr=False)

    @classmethod
    def open(cls, store_url: str, directory: Path) -> TrackerStore:
        engine = make_engine(store_url)
        factory = make_sessionmaker(engine)
        loaded = parse_config(TRACKER_CONFIG, directory / "poalign.yaml")
        return cls(factory, IngestContext.prepare(factory, loaded), engine)

    def write(self, case: TrackerCase, record: ItemRecord) -> Outcome:
        source = "jira-hostile" if case.tracker == "jira" else "ado-hostile"
        try:
            with self.factory.begin() as session:
                write_page(session, self.context, source, [record], SyncResult(name=source, mode="full"))
        except Exception as error:
            return Outcome("store", case.variant, "crash", f"{type(error).__name__}: {error}"[:500])
        return Outcome("store", case.variant, "ok")

    def close(self) -> None:
        self.engine.dispose()


def run_tracker(cases: list[TrackerCase], store: TrackerStore | None = None) -> list[Outcome]:
    outcomes: list[Outcome] = []
    for case in cases:
        outcome, record = check_tracker(case)
        outcomes.append(outcome)
        if record is not None and store is not None:
            written = store.write(case, record)
            if written.bad:
                outcomes.append(written)
    return outcomes


def expected_dates_are_dates(values: tuple[Any, ...]) -> bool:
    return all(value is None or isinstance(value, date) for value in values)
