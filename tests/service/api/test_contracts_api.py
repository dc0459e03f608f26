"""GET /api/contracts: the contracts a comment command made, filtered by team and state, shaped like
`poalign contracts --format json`; a command a record carries reaches the store through the sync's
page writer once, however often the page is written."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from fastapi.testclient import TestClient

from connectors.commands import Author, Command, CommentCommand
from service.contract_commands import apply_commands
from service.ingest import SyncResult, write_page
from service.runtime import Runtime
from service.store import sync_writes
from service.store.contract_models import ContractCommand
from tests.service.api.test_rest import TOKEN, _record, with_clash  # noqa: F401  (the fixture)

BOB = Author(account_id="bob-1", email="bob@example.com", display_name="Bob")


def committed(runtime: Runtime) -> None:
    said = CommentCommand(
        "c-1", Command("commit", "Sprint ending in 24 days"), BOB, datetime(2026, 1, 5, tzinfo=UTC)
    )
    record = replace(_record("4711", "Fabrikam", 24), commands=(said,))
    for _ in range(2):  # the next sync reads the same comment again
        with runtime.factory.begin() as session:
            write_page(
                session,
                runtime.context,
                "ado-acme",
                [record],
                SyncResult(name="ado-acme", mode="incremental"),
            )
            sync_writes.resolve_link_targets(session)
    apply_commands(runtime.factory, runtime.config)


def test_contracts_are_listed_and_filtered(client: TestClient, with_clash: Runtime) -> None:  # noqa: F811
    committed(with_clash)
    with with_clash.factory() as session:
        assert session.query(ContractCommand).count() == 1
    found = client.get("/api/contracts", headers=TOKEN).json()["contracts"]
    assert len(found) == 1
    entry = found[0]
    assert entry["dependent"] == {"source": "jira-acme", "key": "PAY-12", "team": "Payments"}
    assert entry["prerequisite"] == {"source": "ado-acme", "key": "4711", "team": "Platform"}
    assert entry["state"] == "committed" and entry["committed"]["label"] == "Sprint ending in 24 days"
    assert [(e["action"], e["by"]) for e in entry["history"]] == [("opened", None), ("commit", "Bob")]
    assert entry["history"][-1]["at"].startswith("2026-01-05")
    assert client.get("/api/contracts?team=Payments", headers=TOKEN).json()["contracts"] == found
    assert client.get("/api/contracts?state=open&state=requested", headers=TOKEN).json() == {"contracts": []}
    refused = client.get("/api/contracts?state=promised", headers=TOKEN)
    assert refused.status_code == 422 and refused.headers["content-type"].startswith(
        "application/problem+json"
    )
