"""A sync process killed with SIGKILL at any point resumes to the same store: nothing lost or doubled."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from sandbox.testing import running_sandbox, small_world
from service.ingest import sync_all
from service.store.migrate import upgrade
from service.store.models import WorkItem
from service.store.session import make_engine, make_sessionmaker
from testkit.readback import store_state
from testkit.wiring import wire

POALIGN = str(Path(sys.executable).parent / "poalign")


def count_items(factory: sessionmaker[Session]) -> int:
    with factory() as session:
        return int(session.scalar(select(func.count()).select_from(WorkItem)) or 0)


def kill_midway(config: Path, factory: sessionmaker[Session], *, full: bool, floor: int, ceiling: int) -> int:
    """Start `poalign sync`, SIGKILL it once more than `floor` and fewer than `ceiling` rows are stored."""
    command = [POALIGN, "sync", "--config", str(config), *(["--full"] if full else [])]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    stored = 0
    while time.monotonic() < deadline and process.poll() is None:
        stored = count_items(factory)
        if floor < stored < ceiling:
            os.kill(process.pid, signal.SIGKILL)
            process.wait()
            return stored
        time.sleep(0.02)
    process.kill()
    pytest.fail(f"sync ended (rc={process.poll()}) before it could be killed midway ({stored} rows)")


@pytest.mark.slow
def test_killed_full_and_incremental_syncs_resume_to_the_clean_result(tmp_path: Path, store_url: str) -> None:
    world = small_world(projects_per_site=2, issues_per_project=250, items_per_project=250)
    total = sum(len(s.issues) for s in world.jira.values()) + sum(len(o.items) for o in world.ado.values())
    # latency makes a full sync take a few seconds, so the kill lands in the middle of it
    with running_sandbox(world, latency_ms=15) as sandbox:
        wired = wire(sandbox, tmp_path / "killed", store_url)
        engine = make_engine(store_url)
        factory = make_sessionmaker(engine)

        killed_at = kill_midway(wired.config_path, factory, full=True, floor=0, ceiling=total)
        assert 0 < killed_at < total
        rerun = subprocess.run(
            [POALIGN, "sync", "--config", str(wired.config_path)],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert rerun.returncode == 0, rerun.stdout + rerun.stderr
        assert count_items(factory) == total  # nothing lost, nothing doubled (unique per source + id)

        # the clean reference: one uninterrupted run of the same sandbox into a separate store
        clean_url = f"sqlite:///{tmp_path / 'clean.db'}"
        upgrade(clean_url)
        clean_engine = make_engine(clean_url)
        clean_factory = make_sessionmaker(clean_engine)
        sync_all(clean_factory, wire(sandbox, tmp_path / "clean", clean_url).loaded)
        assert store_state(factory) == store_state(clean_factory)

        # now an incremental run over many changed items, killed midway, then resumed
        for issue in list(world.jira["acme"].issues.values())[:200]:
            sandbox.jira("acme").update(issue.key, priority="Low")
        changed_ids = sorted(world.ado["contoso"].items)[:200]
        for item_id in changed_ids:
            sandbox.ado("contoso").update(item_id, fields={"Microsoft.VSTS.Common.Priority": 3})
        with factory() as session:
            low_before = int(session.scalar(select(func.count()).where(WorkItem.raw_priority == "Low")) or 0)
        process = subprocess.Popen(
            [POALIGN, "sync", "--config", str(wired.config_path)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and process.poll() is None:
            with factory() as session:
                low = int(session.scalar(select(func.count()).where(WorkItem.raw_priority == "Low")) or 0)
            if low > low_before:  # some pages of the incremental run are committed
                os.kill(process.pid, signal.SIGKILL)
                break
            time.sleep(0.01)
        process.wait()
        assert process.returncode == -signal.SIGKILL, "the incremental run finished before it could be killed"
        subprocess.run(
            [POALIGN, "sync", "--config", str(wired.config_path)],
            check=True,
            timeout=120,
            capture_output=True,
        )
        sync_all(clean_factory, wire(sandbox, tmp_path / "clean", clean_url).loaded)
        assert store_state(factory) == store_state(clean_factory)
        clean_engine.dispose()
        engine.dispose()
