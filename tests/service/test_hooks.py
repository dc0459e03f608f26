"""`poalign hooks install | check | remove` over real HTTP against the sandbox trackers, whose Jira
admin-webhook and ADO service-hook APIs then deliver to what was registered: nothing is configured
by hand on either side (the sandbox is started with no webhook URL at all)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from sandbox import SandboxServer
from sandbox.testing import running_sandbox, small_world
from service.store.models import InboundEvent, Source
from testkit.net import free_port, wait_until
from testkit.wiring import Wired, wire
from tests.service.test_service_e2e import start_serve

POALIGN = str(Path(sys.executable).parent / "poalign")
SOURCES = {"jira-acme", "jira-globex", "ado-contoso"}


@pytest.fixture
def served(tmp_path: Path, store_url: str) -> Iterator[tuple[SandboxServer, Wired, int]]:
    """A sandbox with no webhook target, a config whose service.public_url is where `serve` will run."""
    yield from _hooked(tmp_path, store_url)


@pytest.fixture
def hooked(tmp_path: Path) -> Iterator[tuple[SandboxServer, Wired, int]]:
    """The same for the tests that are about the trackers only: their store is one SQLite file."""
    yield from _hooked(tmp_path, f"sqlite:///{tmp_path / 'poalign.db'}")


def _hooked(tmp_path: Path, store_url: str) -> Iterator[tuple[SandboxServer, Wired, int]]:
    port = free_port()
    with running_sandbox(small_world(), webhook_retry_delays=(0.1,)) as sandbox:
        wired = wire(sandbox, tmp_path, store_url)
        data = yaml.safe_load(wired.config_path.read_text())
        data["service"] = {"public_url": f"http://127.0.0.1:{port}"}
        wired.config_path.write_text(yaml.safe_dump(data, sort_keys=False))
        yield sandbox, wired, port


def hooks(config: Path, *args: str) -> tuple[int, Any, str]:
    """Run `poalign hooks ARGS --format json`: (exit code, the JSON printed, stderr)."""
    done = subprocess.run(
        [POALIGN, "hooks", *args, "--config", str(config), "--format", "json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    body = json.loads(done.stdout) if done.stdout.strip() else None
    return done.returncode, body, done.stderr


def by_source(body: Any) -> dict[str, dict[str, Any]]:
    return {entry["source"]: entry for entry in body["sources"]}


def registered_urls(sandbox: SandboxServer) -> dict[str, list[str]]:
    """Every registration the sandbox trackers hold, per site/org: its URL."""
    held = sandbox.registered_hooks()
    out = {f"jira-{site}": [hook["url"] for hook in hooks] for site, hooks in held["jira"].items()}
    out.update({f"ado-{org}": [sub["url"] for sub in subs] for org, subs in held["ado"].items()})
    return out


def test_install_check_ok_then_an_edit_reaches_serve_by_the_registered_webhook(
    served: tuple[SandboxServer, Wired, int], session_factory: sessionmaker[Session]
) -> None:
    sandbox, wired, port = served
    code, body, err = hooks(wired.config_path, "install")
    assert code == 0, err
    installed = by_source(body)
    assert set(installed) == SOURCES
    assert all(entry["status"] == "changed" for entry in installed.values()), installed
    assert [c["action"] for c in installed["jira-acme"]["changes"]] == ["created"]
    # ADO: one subscription per configured project and work-item event
    ado = installed["ado-contoso"]["changes"]
    assert len(ado) == 2 * 5 and {c["action"] for c in ado} == {"created"}
    assert {c["events"][0] for c in ado} == {
        "workitem.created",
        "workitem.updated",
        "workitem.deleted",
        "workitem.restored",
        "workitem.commented",
    }
    jira = installed["jira-acme"]["changes"][0]
    assert jira["scope"] == 'project in ("PAY", "SHOP")'
    assert {"jira:issue_updated", "comment_created", "issuelink_deleted"} <= set(jira["events"])
    held = registered_urls(sandbox)
    assert held["jira-acme"] == [f"http://127.0.0.1:{port}/webhooks/jira/jira-acme"]
    assert set(held["ado-contoso"]) == {f"http://127.0.0.1:{port}/webhooks/azure-devops/ado-contoso"}

    code, body, err = hooks(wired.config_path, "check")
    assert code == 0, err
    checked = by_source(body)
    assert {name: entry["status"] for name, entry in checked.items()} == dict.fromkeys(SOURCES, "ok")
    assert all(entry["last_delivery"] is None for entry in checked.values())

    process = start_serve(wired.config_path, port)
    try:
        sandbox.jira("acme").update("PAY-1", priority="Highest")
        sandbox.ado("contoso").update(1000, title="changed by a PO")
        assert sandbox.wait_for_webhooks(20)

        def stored() -> set[str]:
            with session_factory() as session:
                rows = session.execute(
                    select(Source.name).join(InboundEvent, InboundEvent.source_id == Source.id)
                ).scalars()
                return set(rows)

        assert wait_until(lambda: {"jira-acme", "ado-contoso"} <= stored(), timeout=20), stored()
        delivered = [d for d in sandbox.webhooks if d.url.startswith(f"http://127.0.0.1:{port}/")]
        assert delivered and all(d.status == 202 for d in delivered), [(d.url, d.status) for d in delivered]
    finally:
        process.terminate()
        process.wait(timeout=20)

    code, body, err = hooks(wired.config_path, "install")  # again: nothing to do, and it says so
    assert code == 0, err
    again = by_source(body)
    assert all(entry["status"] == "ok" for entry in again.values()), again
    assert all(c["action"] == "unchanged" for entry in again.values() for c in entry["changes"])
    assert again["ado-contoso"]["detail"] == "no change: 10 registration(s) already as wanted"

    code, body, err = hooks(wired.config_path, "check")
    assert code == 0, err
    checked = by_source(body)
    for name in ("jira-acme", "ado-contoso"):
        assert checked[name]["status"] == "ok" and checked[name]["last_delivery"], checked[name]
    assert checked["jira-globex"]["last_delivery"] is None  # nothing changed there


def test_a_changed_url_updates_in_place_and_remove_leaves_only_the_others(
    hooked: tuple[SandboxServer, Wired, int],
) -> None:
    sandbox, wired, port = hooked
    # someone else's registrations in the same trackers, which poalign must never touch
    jira = httpx.Client(auth=("someone@example.com", sandbox.token), timeout=10)
    foreign = jira.post(
        f"{sandbox.jira_urls['acme']}/rest/webhooks/1.0/webhook",
        json={"name": "ci bot", "url": "https://ci.example.com/jira", "events": ["jira:issue_created"]},
    )
    assert foreign.status_code == 201, foreign.text
    project = sandbox.world.ado["contoso"].project("Project A").id
    other = httpx.post(
        f"{sandbox.ado_urls['contoso']}/_apis/hooks/subscriptions?api-version=7.1-preview.1",
        auth=("", sandbox.token),
        json={
            "publisherId": "tfs",
            "eventType": "workitem.updated",
            "consumerId": "webHooks",
            "consumerActionId": "httpRequest",
            "publisherInputs": {"projectId": project},
            "consumerInputs": {"url": "https://chat.example.com/hook"},
        },
        timeout=10,
    )
    assert other.status_code == 200, other.text

    code, first, err = hooks(wired.config_path, "install")
    assert code == 0, err
    ids = {name: sorted(c["id"] for c in entry["changes"]) for name, entry in by_source(first).items()}

    moved = f"http://127.0.0.1:{port + 1}/poalign"
    code, body, err = hooks(wired.config_path, "install", "--url", moved)
    assert code == 0, err
    updated = by_source(body)
    for name, entry in updated.items():
        assert {c["action"] for c in entry["changes"]} == {"updated"}, entry
        assert sorted(c["id"] for c in entry["changes"]) == ids[name]  # the same registrations
    held = registered_urls(sandbox)
    assert held["jira-acme"] == ["https://ci.example.com/jira", f"{moved}/webhooks/jira/jira-acme"]
    ado_urls = held["ado-contoso"]
    assert ado_urls.count(f"{moved}/webhooks/azure-devops/ado-contoso") == 10
    assert len(ado_urls) == 11 and "https://chat.example.com/hook" in ado_urls

    code, body, err = hooks(wired.config_path, "check")  # the config still names the old URL
    assert code == 1
    assert {e["status"] for e in body["sources"]} == {"changed"}
    assert "posts to http://127.0.0.1" in by_source(body)["jira-acme"]["detail"]

    code, body, err = hooks(wired.config_path, "remove")
    assert code == 0, err
    removed = by_source(body)
    assert len(removed["ado-contoso"]["changes"]) == 10
    assert registered_urls(sandbox) == {
        "jira-acme": ["https://ci.example.com/jira"],
        "jira-globex": [],
        "ado-contoso": ["https://chat.example.com/hook"],
    }
    code, body, err = hooks(wired.config_path, "check")
    assert code == 1 and {e["status"] for e in body["sources"]} == {"missing"}
    code, body, err = hooks(wired.config_path, "remove")  # nothing left of poalign's
    assert code == 0 and all(not e["changes"] for e in body["sources"])


def test_a_403_from_the_tracker_names_the_permission_and_exits_1(
    hooked: tuple[SandboxServer, Wired, int],
) -> None:
    sandbox, wired, _ = hooked
    sandbox.allow_hook_admin("jira", False)
    sandbox.allow_hook_admin("ado", False)
    code, body, err = hooks(wired.config_path, "install")
    assert code == 1
    results = by_source(body)
    assert {entry["status"] for entry in results.values()} == {"error"}
    assert "HTTP 403" in results["jira-acme"]["detail"]
    assert "Jira administrator global permission" in results["jira-acme"]["detail"]
    assert "HTTP 403" in results["ado-contoso"]["detail"]
    assert "'Edit subscriptions'" in results["ado-contoso"]["detail"]
    assert "Jira administrator global permission" in err  # said on stderr too, for a human
    code, body, _ = hooks(wired.config_path, "check")
    assert code == 1 and "HTTP 403" in by_source(body)["ado-contoso"]["detail"]
    assert not any(registered_urls(sandbox).values())  # nothing was registered anywhere


def test_failing_deliveries_and_a_disabled_webhook_are_reported_and_install_repairs(
    hooked: tuple[SandboxServer, Wired, int],
) -> None:
    sandbox, wired, _ = hooked
    code, _, err = hooks(wired.config_path, "install")  # nothing listens at the public URL yet
    assert code == 0, err
    sandbox.ado("contoso").update(1000, title="nobody hears this")
    assert sandbox.wait_for_webhooks(20)
    jira = httpx.Client(auth=("admin@example.com", sandbox.token), timeout=10)
    listed = jira.get(f"{sandbox.jira_urls['globex']}/rest/webhooks/1.0/webhook").json()
    ours = listed[0]
    disabled = jira.put(ours["self"], json={**ours, "enabled": False})
    assert disabled.status_code == 200, disabled.text

    code, body, _ = hooks(wired.config_path, "check")
    assert code == 1
    checked = by_source(body)
    assert checked["ado-contoso"]["status"] == "failing"
    assert "the last delivery failed" in checked["ado-contoso"]["detail"]
    assert checked["jira-globex"]["status"] == "changed"  # disabled: install enables it again
    assert "is disabled" in checked["jira-globex"]["detail"]
    assert checked["jira-acme"]["status"] == "ok"

    code, body, err = hooks(wired.config_path, "install")
    assert code == 0, err
    assert [c["action"] for c in by_source(body)["jira-globex"]["changes"]] == ["updated"]
    assert jira.get(ours["self"]).json()["enabled"] is True


def test_no_public_url_exits_2_and_a_source_without_credentials_is_named(
    hooked: tuple[SandboxServer, Wired, int],
) -> None:
    sandbox, wired, _ = hooked
    data = yaml.safe_load(wired.config_path.read_text())
    del data["service"]
    del data["sources"][0]["webhook"]  # jira-acme: nothing its receiver could verify with
    wired.config_path.write_text(yaml.safe_dump(data, sort_keys=False))
    code, body, err = hooks(wired.config_path, "install")
    assert code == 2 and body is None
    assert "service.public_url" in err and "--url" in err
    code, body, err = hooks(wired.config_path, "install", "--url", "https://poalign.example.com")
    assert code == 1
    results = by_source(body)
    assert results["jira-acme"]["status"] == "error"
    assert "webhook.secret_env" in results["jira-acme"]["detail"]
    assert results["ado-contoso"]["status"] == "changed"  # the others are registered all the same
    assert not registered_urls(sandbox).get("jira-acme")
