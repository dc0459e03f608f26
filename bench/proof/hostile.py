"""Bad input, outside pytest: the hostile-input generators (testkit.hostile) at any scale, and the
figures they give.

`run(scale)` throws every generated input at the real parts, the way tests/hostile does:

- webhook deliveries (bodies, headers, signatures, credentials, sizes, paths) at the app over a fresh
  SQLite store whose sources are a running sandbox, then a drain of every accepted one;
- sandbox worlds with one file bent, each loaded and its --config-out config validated;
- tracker JSON (Jira issues, ADO work items) normalized and written to the store;
- poalign.yaml files: the config cases (testkit.hostile.config_cases; the suite's sizes, the proof
  sizes from scale 2 on).

Each input ends in one outcome; the bad ones are counted: "5xx", "crashes" (an exception that is not
the project's own error escaped), "unnamed_errors" (an error that does not say what is wrong) and
"wrong" (a forged delivery accepted, a date misread, an error that blames the wrong file).
`failures` lists up to 20 of them, so a red proof says which input did it.
"""

from __future__ import annotations

import io
import logging
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import structlog

from sandbox.testing import prepare_ado_cache
from service import logs
from service.store.migrate import upgrade
from testkit.hostile import budget, config_cases
from testkit.hostile.harness import Outcome, TrackerStore, run_tracker, run_webhooks, run_worlds, webhook_rig
from testkit.hostile.tracker_cases import tracker_cases
from testkit.hostile.webhook_cases import webhook_cases
from testkit.hostile.world_cases import world_cases

MINIMUM_INPUTS = 1_000
BAD = {"5xx": "5xx", "crash": "crashes", "unnamed": "unnamed_errors", "wrong": "wrong"}


@contextmanager
def _quiet() -> Iterator[None]:
    """Every refused delivery logs a warning: thousands of lines would bury the proof's own output."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    config = structlog.get_config()
    logs.configure(level="CRITICAL", stream=io.StringIO())
    try:
        yield
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in handlers:
            root.addHandler(handler)
        root.setLevel(level)
        structlog.configure(**config)


@contextmanager
def _proof_sizes(on: bool) -> Iterator[None]:
    saved = budget.PROOF
    budget.PROOF = on
    try:
        yield
    finally:
        budget.PROOF = saved


def _config_outcomes(directory: Path) -> list[Outcome]:
    """The config suite's own cases, judged by its own check (an AssertionError there: unnamed)."""
    outcomes = []
    for case in config_cases.cases():
        text = case.raw if case.raw is not None else (case.text or "").encode()
        try:
            result, problems = config_cases.run(case, directory)
        except Exception as error:
            outcomes.append(Outcome("config", case.name, "crash", f"{type(error).__name__}: {error}"))
            continue
        if case.expect != "either" and result != ("loads" if case.expect == "loads" else "error"):
            outcomes.append(Outcome("config", case.name, "wrong", f"expected {case.expect}, got {result}"))
            continue
        if result == "error":
            try:
                config_cases.check(case, problems, str(directory / "poalign.yaml"), text.count(b"\n") + 1)
            except AssertionError as failed:
                outcomes.append(Outcome("config", case.name, "unnamed", str(failed)))
                continue
        outcomes.append(Outcome("config", case.name, "ok" if result == "loads" else "error"))
    return outcomes


def run(scale: float = 1.0) -> dict[str, Any]:
    """Generate and judge every hostile input at `scale` (1: the test suite's sizes); the figures."""
    started = time.perf_counter()
    prepare_ado_cache()
    inputs: dict[str, int] = {}
    outcomes: list[Outcome] = []
    with _quiet(), tempfile.TemporaryDirectory(prefix="poalign-proof-hostile-") as tmp:
        root = Path(tmp)
        (root / "webhooks").mkdir()
        webhook_store = f"sqlite:///{root / 'webhooks.db'}"
        upgrade(webhook_store)
        with webhook_rig(webhook_store, root / "webhooks") as rig:
            cases = webhook_cases(rig.secrets, scale, recorded=rig.recorded)
            for case in cases:
                inputs[case.category] = inputs.get(case.category, 0) + 1
            outcomes += run_webhooks(rig, cases)

        worlds = world_cases(scale)
        inputs["world"] = len(worlds)
        outcomes += run_worlds(worlds)

        items = tracker_cases(scale)
        for item in items:
            inputs[item.category] = inputs.get(item.category, 0) + 1
        tracker_store = f"sqlite:///{root / 'tracker.db'}"
        upgrade(tracker_store)
        store = TrackerStore.open(tracker_store, root)
        try:
            outcomes += run_tracker(items, store)
        finally:
            store.close()

        (root / "config").mkdir()
        with _proof_sizes(scale >= 2):
            configs = _config_outcomes(root / "config")
        inputs["config"] = len(configs)
        outcomes += configs

    figures: dict[str, Any] = {
        "inputs": sum(inputs.values()),
        "by_category": dict(sorted(inputs.items())),
        "drained_events": sum(outcome.category == "inbox" for outcome in outcomes)
        - sum(outcome.category == "inbox" and outcome.variant == "drain" for outcome in outcomes),
        "5xx": 0,
        "crashes": 0,
        "unnamed_errors": 0,
        "wrong": 0,
        "seconds": 0.0,
        "scale": scale,
    }
    for outcome in outcomes:
        if outcome.result in BAD:
            figures[BAD[outcome.result]] += 1
    figures["failures"] = [str(outcome) for outcome in outcomes if outcome.bad][:20]
    figures["seconds"] = round(time.perf_counter() - started, 1)
    return figures


def passed(figures: dict[str, Any]) -> bool:
    return (
        figures["inputs"] >= MINIMUM_INPUTS
        and figures["5xx"] == 0
        and figures["crashes"] == 0
        and figures["unnamed_errors"] == 0
        and figures["wrong"] == 0
    )
