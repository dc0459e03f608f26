"""A source whose tracker cannot be reached fails its sync at once, says which URL and why, and the
other sources sync as usual. Real sockets: the sandbox serves one source, the other points at a
loopback port nobody listens on."""

from __future__ import annotations

from pathlib import Path

import yaml
from sqlalchemy.orm import Session, sessionmaker

from sandbox.testing import running_sandbox, small_world
from service.config.loader import load_config
from service.ingest import sync_all
from testkit.net import free_port
from testkit.wiring import wire


def test_an_unreachable_source_fails_in_one_attempt_and_the_others_sync(
    tmp_path: Path, store_url: str, session_factory: sessionmaker[Session]
) -> None:
    with running_sandbox(small_world()) as sandbox:
        wired = wire(sandbox, tmp_path, store_url)
        data = yaml.safe_load(wired.config_path.read_text())
        moved = next(s for s in data["sources"] if s["kind"] == "jira")
        dead = f"http://127.0.0.1:{free_port()}/nowhere"
        moved["url"] = dead
        wired.config_path.write_text(yaml.safe_dump(data, sort_keys=False))

        results = {r.name: r for r in sync_all(session_factory, load_config(wired.config_path), full=True)}

    failed = results[moved["name"]]
    assert failed.status == "failed"
    assert dead in failed.error and "refused the connection" in failed.error
    assert failed.retries == 0  # one attempt: no back-off spent on a port that is closed
    assert all(r.status == "ok" for name, r in results.items() if name != moved["name"])
