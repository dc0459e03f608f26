"""Who decides a dependency contract answered from the dashboard: a signed-on chief-po commits for a
team not theirs (the role says "act for all teams"), where the same words in a tracker comment by the
same name stay a proposal: the authority is the role the dashboard checked, never what a comment says.
Over real HTTP: the app and the sandbox's OpenID provider on loopback, signed on through the provider."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from service.api.app import create_app
from service.contract_commands import apply_commands
from service.store import contracts
from service.store import items as stored_items
from service.store.base import utcnow
from service.store.models import Finding
from testkit.net import uvicorn_in_thread
from tests.service.reports.conftest import TOKEN
from tests.support.signon_world import SignOnWorld, signon_world

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def dep002(world: SignOnWorld) -> str:
    """MOB-5 (Mobile) waits on Payments' PAY-20: DEP002, Payments' to commit."""
    with world.runtime.factory() as session:
        (fingerprint,) = session.scalars(select(Finding.fingerprint).where(Finding.rule == "DEP002")).all()
    return fingerprint


def signed_on(world: SignOnWorld, base: str, who: str, to: str) -> tuple[httpx.Client, str]:
    """A client signed on as `who` (the provider's auto-login: the real redirects and code exchange),
    and the page `to` it lands on."""
    world.provider.auto_login = who
    client = httpx.Client(base_url=base, follow_redirects=True, timeout=30)
    landed = client.get("/auth/login", params={"next": to})
    assert landed.status_code == 200 and landed.url.path == to, (landed.status_code, landed.url)
    return client, landed.text


def said_in_a_comment(world: SignOnWorld, author_name: str, verb: str, argument: str) -> None:
    """A `/poalign <verb> <argument> for MOB-5` comment on PAY-20 as a sync stores it (no role)."""
    now = utcnow()
    with world.runtime.factory.begin() as session:
        pay20 = stored_items.by_refs(session, ["jira-acme:PAY-20"])["jira-acme:PAY-20"]
        contracts.record_commands(
            session,
            [
                {
                    "item_id": pay20.id,
                    "comment_id": "10099",
                    "digest": "c" * 40,
                    "position": 0,
                    "verb": verb,
                    "argument": argument,
                    "for_key": "MOB-5",
                    "author_account": None,
                    "author_email": None,
                    "author_name": author_name,
                    "said_at": now,
                    "received_at": now,
                    "status": "pending",
                }
            ],
        )
    apply_commands(world.runtime.factory, world.runtime.config)


def test_a_signed_on_chief_po_commits_for_another_team(
    tmp_path: Path, store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with signon_world(tmp_path, store_url, monkeypatch) as world:
        fingerprint = dep002(world)
        # Carol's name in a tracker comment carries no role: her commit for Payments is a proposal
        said_in_a_comment(world, "Carol Chief", "commit", "2099-01-20")
        admin = {"Authorization": f"Bearer {TOKEN}"}
        with uvicorn_in_thread(create_app(world.runtime)) as port:
            base = f"http://127.0.0.1:{port}"
            world.register(base)
            with httpx.Client(base_url=base, headers=admin) as api:
                (proposed,) = api.get("/api/contracts").json()["contracts"]
            assert proposed["state"] == "open" and proposed["committed"] is None
            assert [(e["action"], e["by"]) for e in proposed["history"]][-1] == ("proposal", "Carol Chief")

            # signed on, her role is chief-po: the dashboard's commit for Payments decides
            chief, html = signed_on(world, base, "carol", f"/dashboard/findings/{fingerprint}")
            assert "carol@example.com · chief-po" in html
            assert 'class="contract-form"' in html  # Payments' contract is offered to the chief
            answer = chief.post(
                f"/dashboard/findings/{fingerprint}/contract",
                data={"csrf": CSRF.search(html).group(1), "verb": "commit", "argument": "2099-01-15"},
            )
            assert answer.status_code == 200, answer.text
            assert "Carol Chief committed PAY-20 (Payments) for 15 Jan 2099 to MOB-5" in answer.text
            with httpx.Client(base_url=base, headers=admin) as api:
                (contract,) = api.get("/api/contracts").json()["contracts"]
                (entry,) = api.get("/api/audit", params={"action": "contract.commit"}).json()["entries"]
            assert (contract["state"], contract["committed"]["date"]) == ("committed", "2099-01-15")
            assert [(e["action"], e["by"]) for e in contract["history"]][-1] == ("commit", "Carol Chief")
            assert (entry["actor"], entry["role"]) == ("carol@example.com", "chief-po")
            chief.close()
