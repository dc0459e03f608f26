"""A third tracker kind is one `Tracker` entry and one `register` call: nothing in the service changes.

The kind here is a board kept in this module's memory, implementing the protocols of connectors.base.
A source of that kind with two teams and a cross-team dependency clash goes through the real CLI
(sync → check → annotate) on the real store, and through the real webhook route and inbox drain.
"""

from __future__ import annotations

import hmac
import itertools
import json
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from connectors.annotations import FindingView, ReplyView, fingerprint_in, marker
from connectors.base import Refusal, StoredVersions, Tracker, WebhookSecrets
from connectors.parsing import WebhookPayloadError, header, load_json
from connectors.records import FullSync, ItemRecord, LinkRecord, Page, WebhookEvent
from connectors.registry import register, unregister
from connectors.retry import CallStats
from connectors.settings import SourceSettings
from service.api.app import create_app
from service.cli.main import app
from service.config.loader import LoadedConfig, load_config
from service.inbox_drain import drain
from service.runtime import Runtime
from service.store.models import InboundEvent, Source, WorkItem

KIND = "fake-board"
LABEL = "poalign-dependency-clash"
SECRET = "fake-board-hook-secret-4Kq"
CONFIG = f"""
database: {{url_env: FAKE_TEST_DB}}
sources:
  - name: board
    kind: {KIND}
    url: https://board.example
    auth: {{token_env: FAKE_BOARD_TOKEN}}
    webhook: {{secret_env: FAKE_BOARD_HOOK}}
teams:
  - {{name: Alpha, product_owner: Ann, source: board, scope: {{project: ALPHA}}}}
  - {{name: Beta, product_owner: Bob, source: board, scope: {{project: BETA}}}}
writeback: {{enabled: true}}
"""


@dataclass
class Board:
    """The fake tracker's side of the wire: items, comments and labels, and every write it received."""

    items: dict[str, ItemRecord] = field(default_factory=dict)
    comments: dict[str, dict[str, str]] = field(default_factory=lambda: defaultdict(dict))
    labels: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    writes: list[tuple[str, str]] = field(default_factory=list)
    ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def put(self, key: str, finish: date, *, depends_on: str | None = None) -> None:
        project = key.partition("-")[0]
        links = (LinkRecord("depends_on", "depends on", True, other_key=depends_on),) if depends_on else ()
        self.items[key] = ItemRecord(
            external_id=key,
            key=key,
            url=f"https://board.example/items/{key}",
            project=project,
            item_type="story",
            raw_type="Story",
            title=f"{key} of {project}",
            raw_state="Open",
            state_category="todo",
            target_date=finish,
            updated=datetime.now(UTC),
            links=links,
        )


class BoardReader:
    def __init__(self, board: Board) -> None:
        self.board = board

    def _in(self, projects: Sequence[str]) -> list[ItemRecord]:
        return [record for record in self.board.items.values() if record.project in projects]

    def full(self, projects: Sequence[str], stored: StoredVersions) -> FullSync:
        records = self._in(projects)
        return FullSync(keys=frozenset(r.key for r in records), pages=iter([Page(items=tuple(records))]))

    def incremental(self, projects: Sequence[str], since: datetime, stored: StoredVersions) -> Iterator[Page]:
        changed = sorted((r for r in self._in(projects) if r.updated and r.updated >= since), key=_updated)
        if changed:
            yield Page(items=tuple(changed), watermark=_updated(changed[-1]))

    def fetch(self, keys: Sequence[str]) -> tuple[list[ItemRecord], list[str]]:
        return [self.board.items[k] for k in keys if k in self.board.items], [
            k for k in keys if k not in self.board.items
        ]


def _updated(record: ItemRecord) -> datetime:
    assert record.updated is not None
    return record.updated


class BoardWriter:
    deployment = None

    def __init__(self, board: Board) -> None:
        self.board = board

    def our_comments(self, key: str, project: str | None) -> dict[str, str]:
        return {
            fingerprint: comment_id
            for comment_id, body in self.board.comments[key].items()
            if (fingerprint := fingerprint_in(body))
        }

    def post(self, key: str, project: str | None, body: str, fingerprint: str) -> str:
        comment_id = str(next(self.board.ids))
        self.board.comments[key][comment_id] = body
        self.board.writes.append(("post", key))
        return comment_id

    def edit(self, key: str, project: str | None, comment_id: str, body: str) -> None:
        self.board.comments[key][comment_id] = body
        self.board.writes.append(("edit", key))

    def delete(self, key: str, project: str | None, comment_id: str) -> None:
        del self.board.comments[key][comment_id]
        self.board.writes.append(("delete", key))

    def labels(self, key: str, project: str | None, add: list[str], remove: list[str]) -> None:
        self.board.labels[key] = (self.board.labels[key] | set(add)) - set(remove)
        self.board.writes.append(("labels", key))


class BoardHooks:
    summary = "Receive a fake board delivery"

    def verify(self, body: bytes, headers: Mapping[str, str], secrets: WebhookSecrets) -> Refusal | None:
        if not secrets.secret:
            return Refusal("no webhook secret configured", hint="set webhook.secret_env")
        given = (header(headers, "x-board-secret") or "").encode()
        return (
            None if hmac.compare_digest(given, secrets.secret.encode()) else Refusal("wrong X-Board-Secret")
        )

    def parse(self, body: bytes, headers: Mapping[str, str]) -> WebhookEvent:
        payload = load_json(body)
        if not isinstance(payload, dict) or not isinstance(payload.get("id"), str):
            raise WebhookPayloadError("no delivery id")
        return WebhookEvent(payload["id"], "item.changed", items=tuple(payload.get("items") or ()))


class BoardRenderer:
    def comment(self, view: FindingView, deployment: str | None) -> str:
        if view.resolved_on is not None:
            return f"{view.resolved_text}\n{marker(view.fingerprint)}"
        return f"{view.headline}\n{view.message}\n{view.action}\n{marker(view.fingerprint)}"

    def reply(self, view: ReplyView, deployment: str | None) -> str:
        return "\n".join((view.headline, *view.contracts, *view.said, marker(view.fingerprint)))


@pytest.fixture
def board() -> Iterator[Board]:
    board = Board()

    def reader(settings: SourceSettings, stats: CallStats | None) -> BoardReader:
        return BoardReader(board)

    register(
        Tracker(
            kind=KIND,
            reader=reader,
            writer=lambda settings: BoardWriter(board),
            webhooks=BoardHooks(),
            renderer=BoardRenderer(),
            priority_scale={"high": 1, "low": 5},
            item_url_path=r"/items/([A-Z]+-\d+)",
        )
    )
    try:
        yield board
    finally:
        unregister(KIND)


@pytest.fixture
def loaded(board: Board, store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> LoadedConfig:
    for name, value in {
        "FAKE_TEST_DB": store_url,
        "FAKE_BOARD_TOKEN": "t",
        "FAKE_BOARD_HOOK": SECRET,
    }.items():
        monkeypatch.setenv(name, value)
    today = datetime.now(UTC).date()
    board.put("ALPHA-1", today + timedelta(days=14), depends_on="BETA-1")  # Beta's part comes too late
    board.put("ALPHA-2", today + timedelta(days=20))
    board.put("BETA-1", today + timedelta(days=40))
    path = tmp_path / "poalign.yaml"
    path.write_text(CONFIG)
    return load_config(path)


def cli(loaded: LoadedConfig, *args: str) -> str:
    result = CliRunner().invoke(app, [*args, "--config", str(loaded.path)])
    assert result.exit_code == 0, result.output
    return result.output


def test_a_registered_kind_syncs_is_checked_and_annotated_through_the_service(
    board: Board, loaded: LoadedConfig
) -> None:
    (synced,) = json.loads(cli(loaded, "sync", "--json"))["sources"]
    assert (synced["name"], synced["status"], synced["items"], synced["new"]) == ("board", "ok", 3, 3)

    (finding,) = json.loads(cli(loaded, "check", "--format", "json", "--fail-on", "never"))["findings"]
    assert finding["rule"] == "DEP001" and finding["status"] == "open"
    assert {(i["key"], i["team"]) for i in finding["items"]} == {("ALPHA-1", "Alpha"), ("BETA-1", "Beta")}

    cli(loaded, "annotate")
    clashing = ("ALPHA-1", "BETA-1")
    for key in clashing:
        (body,) = board.comments[key].values()
        assert fingerprint_in(body) == finding["fingerprint"] and "DEP001" in body
        assert board.labels[key] == {LABEL}
    assert not board.comments["ALPHA-2"] and not board.labels["ALPHA-2"]
    assert sorted(board.writes) == sorted([("post", k) for k in clashing] + [("labels", k) for k in clashing])

    written = list(board.writes)
    cli(loaded, "annotate")
    assert board.writes == written  # the second run finds everything in place and sends nothing

    # Beta pulls its part forward: the next (incremental) sync sees it, the comments say so, labels go.
    board.put("BETA-1", datetime.now(UTC).date() + timedelta(days=7))
    assert json.loads(cli(loaded, "sync", "--json"))["sources"][0]["changed"] == 1
    assert json.loads(cli(loaded, "check", "--format", "json", "--fail-on", "never"))["findings"] == []
    cli(loaded, "annotate")
    for key in clashing:
        (body,) = board.comments[key].values()
        assert "Resolved on" in body and fingerprint_in(body) == finding["fingerprint"]
        assert board.labels[key] == set()


def test_its_webhooks_are_verified_stored_once_parsed_and_drained(board: Board, loaded: LoadedConfig) -> None:
    cli(loaded, "sync")
    runtime = Runtime.open(loaded, url=loaded.database_url(), process="test")
    try:
        with TestClient(create_app(runtime), raise_server_exceptions=False) as client:
            delivery = json.dumps({"id": "d-1", "items": ["BETA-1"]}).encode()
            forged = client.post(
                f"/webhooks/{KIND}/board", content=delivery, headers={"X-Board-Secret": "no"}
            )
            assert (forged.status_code, forged.json()) == (401, {"error": "wrong X-Board-Secret"})
            assert client.post("/webhooks/fake-board/nope", content=delivery).status_code == 404
            board.items["BETA-1"] = replace(board.items["BETA-1"], title="Renamed", updated=datetime.now(UTC))
            accepted = client.post(
                f"/webhooks/{KIND}/board", content=delivery, headers={"X-Board-Secret": SECRET}
            )
            assert accepted.status_code == 202 and accepted.json()["delivery"] == "d-1"
        with runtime.factory() as session:
            (row,) = session.scalars(select(InboundEvent)).all()
            assert row.event is not None and WebhookEvent.from_json(row.event).items == ("BETA-1",)
        summary = drain(runtime)
        assert (summary.processed, summary.refetched) == (1, 1)
        with runtime.factory() as session:
            assert session.scalar(select(WorkItem.title).where(WorkItem.key == "BETA-1")) == "Renamed"
            assert session.scalar(select(Source.kind)) == KIND  # no CHECK lists the kinds a store takes
    finally:
        runtime.close()
