"""Per-person tokens made by `poalign token create`: the role decides what each may do (403 problems
naming the role), revoked and expired tokens get 401, every write is in GET /api/audit; both stores."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from service.access import tokens
from service.cli.main import app
from service.jobs import job_retention
from service.runtime import Runtime
from service.store import access
from service.store.base import utcnow
from tests.service.api.conftest import CONFIG, SECRETS
from tests.service.api.test_rest import with_clash  # noqa: F401  (the fixture: one cross-team clash)

CLI = CliRunner()
ADMIN = {"Authorization": f"Bearer {SECRETS['POALIGN_TEST_API_TOKEN']}"}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def cli_config(tmp_path: Path, store_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The API tests' config, as a file the CLI reads, on the same store as the app."""
    monkeypatch.setenv("POALIGN_TEST_DB_URL", store_url)
    folder = tmp_path / "cli"
    folder.mkdir()
    path = folder / "poalign.yaml"
    path.write_text(CONFIG + "database: {url_env: POALIGN_TEST_DB_URL}\n")
    return path


def create(config: Path, *args: str) -> str:
    result = CLI.invoke(app, ["token", "create", "--config", str(config), *args])
    assert result.exit_code == 0, result.output
    (token,) = [line for line in result.output.splitlines() if line.startswith(tokens.PREFIX)]
    return token


def fingerprint_of(client: TestClient) -> str:
    (finding,) = client.get("/api/findings?rule=DEP001", headers=ADMIN).json()["items"]
    return str(finding["fingerprint"])


@pytest.mark.usefixtures("with_clash")
def test_viewer_reads_is_refused_writes_and_revoked_gets_401(
    client: TestClient,
    runtime: Runtime,
    cli_config: Path,
) -> None:
    token = create(cli_config, "--name", "wall-screen", "--role", "viewer")
    assert len(token) > 40
    listed = client.get("/api/findings", headers=bearer(token))
    assert listed.status_code == 200 and listed.json()["total"] == 2
    fingerprint = fingerprint_of(client)

    refused = client.post(
        f"/api/findings/{fingerprint}/suppress", headers=bearer(token), json={"reason": "x"}
    )
    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/problem+json"
    problem = refused.json()
    assert problem["required_role"] == "po" and problem["status"] == 403
    assert "needs the role po for team Payments, Platform" in problem["detail"]
    assert "wall-screen with the role viewer" in problem["detail"]
    assert client.get(f"/api/findings/{fingerprint}", headers=ADMIN).json()["status"] == "open"
    for method, path, needed in (
        ("POST", "/api/syncs", "admin"),
        ("POST", "/api/reports", "chief-po"),
        ("POST", "/api/whatif", "po"),
        ("GET", "/api/audit", "chief-po"),
    ):
        answer = client.request(method, path, headers=bearer(token), json={})
        assert (answer.status_code, answer.json()["required_role"]) == (403, needed), path

    listing = CLI.invoke(app, ["token", "list", "--config", str(cli_config), "--format", "json"])
    assert '"name": "wall-screen"' in listing.output and token not in listing.output
    revoked = CLI.invoke(app, ["token", "revoke", "wall-screen", "--config", str(cli_config)])
    assert revoked.exit_code == 0 and "revoked token wall-screen" in revoked.output
    after = client.get("/api/findings", headers=bearer(token))
    assert after.status_code == 401 and "wall-screen was revoked" in after.json()["detail"]
    assert after.headers["www-authenticate"] == "Bearer"

    log = client.get("/api/audit", headers=ADMIN).json()
    assert [(e["action"], e["target"], e["via"]) for e in log["entries"]] == [
        ("token.revoke", "wall-screen", "cli"),
        ("token.create", "wall-screen", "cli"),
    ]
    assert log["entries"][1]["detail"]["role"] == "viewer"


@pytest.mark.usefixtures("with_clash")
def test_po_acts_for_its_teams_only_and_each_write_is_audited(
    client: TestClient,
    runtime: Runtime,
    cli_config: Path,
) -> None:
    po = create(
        cli_config, "--name", "alice", "--role", "po", "--team", "Payments", "--expires", "2099-12-31"
    )
    with runtime.factory.begin() as session:
        elsewhere = tokens.create(
            session, name="mo", role="po", teams=["Mobile"], expires_at=None, created_by="test"
        ).token
        stale = tokens.create(
            session,
            name="old",
            role="admin",
            teams=[],
            expires_at=utcnow() - timedelta(seconds=1),
            created_by="test",
        ).token
    fingerprint = fingerprint_of(client)
    url = f"/api/findings/{fingerprint}/suppress"

    other_team = client.post(url, headers=bearer(elsewhere), json={"reason": "not mine"})
    assert other_team.status_code == 403 and other_team.json()["teams"] == ["Payments", "Platform"]
    expired = client.post(url, headers=bearer(stale), json={"reason": "late"})
    assert expired.status_code == 401 and "old expired at" in expired.json()["detail"]
    assert client.get("/api/findings", headers=bearer(tokens.PREFIX + "x" * 43)).status_code == 401

    accepted = client.post(
        url, headers=bearer(po), json={"reason": "agreed at the PO sync", "by": "someone else"}
    )
    assert accepted.status_code == 200, accepted.text
    detail = client.get(f"/api/findings/{fingerprint}", headers=bearer(po)).json()
    assert detail["suppression"]["by"] == "alice"  # a personal token records its own name
    assert (
        client.post(f"/api/findings/{fingerprint}/unsuppress", headers=bearer(po)).json()["status"] == "open"
    )

    chief = create(cli_config, "--name", "carol", "--role", "chief-po")
    log = client.get("/api/audit?action=finding.suppress", headers=bearer(chief)).json()
    (entry,) = log["entries"]
    assert (entry["actor"], entry["role"], entry["via"], entry["target"]) == (
        "alice",
        "po",
        "token:alice",
        fingerprint,
    )
    assert entry["detail"]["reason"] == "agreed at the PO sync" and entry["client"] == "testclient"
    everything = client.get("/api/audit", headers=bearer(chief)).json()
    assert [e["action"] for e in everything["entries"]][:2] == ["token.create", "finding.unsuppress"]
    assert client.get("/api/audit", headers=bearer(po)).json()["required_role"] == "chief-po"
    listed = json.loads(
        CLI.invoke(app, ["token", "list", "--config", str(cli_config), "--format", "json"]).output
    )
    used = {t["name"]: t["last_used_at"] is not None for t in listed["tokens"]}
    assert used == {"alice": True, "mo": True, "old": False, "carol": True}
    assert {t["name"]: t["teams"] for t in listed["tokens"]}["alice"] == ["Payments"]


def test_token_create_says_what_is_wrong(cli_config: Path) -> None:
    for args, words in (
        (["--name", "x", "--role", "owner"], "--role 'owner': expected one of viewer, po, chief-po, admin"),
        (["--name", "x", "--role", "po"], "--role po needs --team"),
        (
            ["--name", "x", "--role", "po", "--team", "Nope"],
            "unknown team(s) Nope; configured: Payments, Platform",
        ),
        (["--name", "x", "--role", "viewer", "--team", "Payments"], "--team applies to --role po only"),
        (
            ["--name", "x", "--role", "viewer", "--expires", "2001-01-01"],
            "--expires: 2001-01-01 is in the past",
        ),
        (["--name", "a b", "--role", "viewer"], "--name 'a b': use letters, digits"),
    ):
        result = CLI.invoke(app, ["token", "create", "--config", str(cli_config), *args])
        assert result.exit_code == 2 and words in result.output, (args, result.output)
    create(cli_config, "--name", "twice", "--role", "viewer")
    again = CLI.invoke(
        app, ["token", "create", "--config", str(cli_config), "--name", "twice", "--role", "admin"]
    )
    assert again.exit_code == 2 and "a token named twice exists" in again.output
    missing = CLI.invoke(app, ["token", "revoke", "ghost", "--config", str(cli_config)])
    assert missing.exit_code == 2 and "no token named ghost" in missing.output


def test_retention_forgets_old_audit_entries(runtime: Runtime) -> None:
    days = runtime.config.schedule.retention_days
    with runtime.factory.begin() as session:
        for age in (days + 1, days - 1):
            access.record(
                session,
                actor="a",
                role="admin",
                via="cli",
                action="token.create",
                target=f"t{age}",
                at=utcnow() - timedelta(days=age),
            )
    assert job_retention(runtime)["audit"] == 1
    with runtime.factory() as session:
        rows, total = access.audit_page(session)
    assert total == 1 and rows[0].target == f"t{days - 1}"


@pytest.mark.usefixtures("with_clash")
def test_every_api_write_refuses_a_viewer(client: TestClient, runtime: Runtime) -> None:
    """Enumerated from the OpenAPI document: a write route added later without a role check fails here."""
    with runtime.factory.begin() as session:
        viewer = tokens.create(
            session, name="v", role="viewer", teams=[], expires_at=None, created_by="t"
        ).token
    fingerprint = fingerprint_of(client)
    paths = client.get("/openapi.json").json()["paths"]
    writes = [
        (method.upper(), path)
        for path, operations in paths.items()
        if path.startswith("/api/")
        for method in operations
        if method in ("post", "put", "patch", "delete")
    ]
    assert len(writes) >= 5
    for method, path in writes:
        answer = client.request(
            method, path.replace("{fingerprint}", fingerprint), headers=bearer(viewer), json={"reason": "r"}
        )
        assert answer.status_code == 403 and answer.json()["required_role"], (method, path, answer.text)
