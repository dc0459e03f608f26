"""Tracker outage: Azure DevOps answers nothing but 503s and resets for the length of a sync window,
while both trackers keep changing and their webhooks keep coming.

Checks: the Jira teams' findings are still produced, and equal what a clean run gives them; ADO shows
stale in /readyz and in the report; ADO's webhooks wait in the inbox instead of being lost; once ADO is
back, one sync and the waiting events bring everything to what a clean run over both trackers gives.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from bench.proof.changes import Changer
from bench.proof.stage import (
    Sender,
    Service,
    Stage,
    agrees_with_clean,
    api,
    findings,
    finished_jobs,
    inbox_settled,
    reference,
    wait_until,
)
from service.store.models import Finding, InboundEvent, Source, SyncRun
from testkit.readback import store_state

JIRA_TEAMS = frozenset({"Payments", "Storefront"})
SCHEDULE = {"inbox_drain_seconds": 1, "annotate_seconds": 5, "incremental_sync_minutes": 1}
DOWN = {"fault_rate": 1.0, "kinds": {"503": 1.0, "reset": 1.0}, "retry_after_s": 1}


def jira_only(stage_or_factory: Any) -> set[tuple[str, str]]:
    """Open findings that concern the Jira teams alone."""
    factory = stage_or_factory.factory if isinstance(stage_or_factory, Stage) else stage_or_factory
    with factory() as session:
        return {
            (row.fingerprint, row.status)
            for row in session.scalars(select(Finding).where(Finding.status.in_(("open", "suppressed"))))
            if row.teams and set(row.teams) <= JIRA_TEAMS
        }


def report_sources(stage: Stage, service: Service) -> dict[str, bool]:
    """Build a report now, as the PO-sync job would, and read {source: stale} from its JSON."""
    built = api(stage, service, "POST", "/api/reports").json()
    document = api(stage, service, "GET", f"/api/reports/{built['id']}").json()
    return {source["name"]: bool(source["stale"]) for source in document["sources"]}


def run(*, directory: Path, seed: int = 3, edits: int = 30, hold_seconds: float = 0.0) -> dict[str, Any]:
    """`hold_seconds`: keep ADO down at least this long (the proof holds it for a whole incremental sync
    period, so the scheduler's sync fails too and the inbox's retries back off)."""
    started = time.monotonic()
    stage = Stage.open(directory, schedule=SCHEDULE)
    service = Service(stage.loaded.path, scheduler=hold_seconds > 0, log=directory / "serve.log").start()
    sender = Sender(service.port)
    seen = 0

    def sync_and_wait(full: bool = False) -> None:
        before = finished_jobs(stage, "sync", "full-sync")
        api(stage, service, "POST", "/api/syncs", json={"full": full})
        if not wait_until(lambda: finished_jobs(stage, "sync", "full-sync") > before, timeout=300):
            raise RuntimeError(f"the sync did not finish; see {service.log}")

    def deliver_new() -> int:
        nonlocal seen
        stage.sandbox.wait_for_webhooks(timeout=30)
        recorded = list(stage.sandbox.webhooks)  # a snapshot: the sandbox appends from its own thread
        new, seen = recorded[seen:], len(recorded)
        for delivery in new:
            sender.post(delivery)
        return len(new)

    try:
        sync_and_wait(full=True)
        ready_before = api(stage, service, "GET", "/readyz").json()
        findings_before = findings(stage)

        # ADO goes down; both trackers keep changing.
        stage.sandbox.ado_faults.configure(**DOWN)
        outage_started = time.monotonic()
        jira = Changer(
            stage.sandbox, seed=seed, kinds=("jira_priority", "jira_sprint", "jira_status", "jira_link")
        )
        ado = Changer(
            stage.sandbox, seed=seed + 1, kinds=("ado_priority", "ado_iteration", "ado_state", "ado_link")
        )
        storefront = [key for key in jira.jira_keys if key.startswith("SHOP-")]
        for key in storefront:  # one PO marks everything Highest: a finding for the Jira teams alone
            stage.sandbox.jira("acme").update(key, priority="Highest")
        for _ in range(edits):
            jira.one()
            ado.one()
        delivered_during = deliver_new()
        sync_and_wait()
        wait_until(lambda: jira_only_settled(stage), timeout=60)
        during = {
            "readyz": api(stage, service, "GET", "/readyz").json(),
            "report_sources": report_sources(stage, service),
            "jira_findings": jira_only(stage),
            "waiting_events": waiting(stage),
        }
        while time.monotonic() - outage_started < hold_seconds:
            time.sleep(0.5)
        during["waiting_at_end"] = waiting(stage)
        during["given_up"] = given_up(stage)
        during["failed_syncs"] = failed_syncs(stage)
        outage_seconds = time.monotonic() - outage_started

        # ADO is back: one sync and the waiting events catch up.
        stage.sandbox.ado_faults.configure(fault_rate=0.0)
        sync_and_wait()
        settled = wait_until(lambda: inbox_settled(stage), timeout=300, step=0.5)
        deliver_new()  # the echoes of the write-back that followed
        settled = settled and wait_until(lambda: inbox_settled(stage), timeout=120, step=0.2)
        after = {
            "readyz": api(stage, service, "GET", "/readyz").json(),
            "report_sources": report_sources(stage, service),
        }
        service.stop()
        clean_store, clean_findings = reference(stage)
        clean_jira = jira_only(reference_factory(stage))
        ado_source = next(s.name for s in stage.loaded.config.sources if s.kind == "azure-devops")
        jira_source = next(s.name for s in stage.loaded.config.sources if s.kind == "jira")
        with stage.factory() as session:
            statuses = list(session.scalars(select(InboundEvent.status)))
        return {
            "ready_before": ready_before["status"],
            "outage_seconds": round(outage_seconds, 1),
            "deliveries_during_outage": delivered_during,
            "jira_findings_during_outage": len(during["jira_findings"]),
            "jira_findings_equal_clean_run": during["jira_findings"] == clean_jira,
            "new_findings_during_outage": len(during["jira_findings"] - findings_before),
            "readyz_during": during["readyz"]["status"],
            "readyz_ado_stale_during": during["readyz"]["sources"][ado_source]["stale"]
            and not during["readyz"]["sources"][ado_source]["fresh"],
            "readyz_jira_fresh_during": during["readyz"]["sources"][jira_source]["fresh"],
            "report_marks_ado_stale_during": during["report_sources"].get(ado_source) is True
            and during["report_sources"].get(jira_source) is False,
            "events_waiting_during_outage": during["waiting_events"],
            "events_waiting_at_end_of_outage": during["waiting_at_end"],
            "events_given_up_during_outage": during["given_up"],
            "source_syncs_failed_during_outage": during["failed_syncs"],
            "readyz_after": after["readyz"]["status"],
            "report_stale_sources_after": sorted(n for n, stale in after["report_sources"].items() if stale),
            "inbox_drained_after": settled,
            "events_lost": sum(1 for status in statuses if status not in ("done", "ignored")),
            "store_equals_clean_sync_after": store_state(stage.factory) == clean_store,
            "findings_equal_clean_evaluation_after": agrees_with_clean(findings(stage), clean_findings),
            "seconds": round(time.monotonic() - started, 1),
        }
    finally:
        service.stop()
        stage.close()


def reference_factory(stage: Stage) -> Any:
    from service.store.session import make_engine, make_sessionmaker

    return make_sessionmaker(make_engine(f"sqlite:///{stage.directory / 'reference.db'}"))


def waiting(stage: Stage) -> int:
    with stage.factory() as session:
        return len(session.scalars(select(InboundEvent.id).where(InboundEvent.status == "pending")).all())


def failed_syncs(stage: Stage) -> dict[str, int]:
    with stage.factory() as session:
        rows = session.execute(
            select(Source.name, func.count())
            .join(SyncRun, SyncRun.source_id == Source.id)
            .where(SyncRun.status != "ok")
            .group_by(Source.name)
        ).all()
    return {str(name): int(count) for name, count in rows}


def given_up(stage: Stage) -> int:
    with stage.factory() as session:
        return len(session.scalars(select(InboundEvent.id).where(InboundEvent.status == "failed")).all())


def jira_only_settled(stage: Stage) -> bool:
    """The Jira deliveries are processed (ADO's wait for their tracker)."""
    with stage.factory() as session:
        pending = session.scalars(
            select(InboundEvent.event_type).where(InboundEvent.status == "pending")
        ).all()
    return all(not event.startswith("jira") and not event.startswith("issuelink") for event in pending)


def passed(figures: dict[str, Any]) -> bool:
    return (
        figures["jira_findings_equal_clean_run"]
        and figures["new_findings_during_outage"] > 0
        and figures["readyz_during"] == "degraded"
        and figures["readyz_ado_stale_during"]
        and figures["readyz_jira_fresh_during"]
        and figures["report_marks_ado_stale_during"]
        and figures["events_waiting_during_outage"] > 0
        and figures["events_given_up_during_outage"] == 0
        and figures["readyz_after"] == "ok"
        and figures["report_stale_sources_after"] == []
        and figures["inbox_drained_after"]
        and figures["events_lost"] == 0
        and figures["store_equals_clean_sync_after"]
        and figures["findings_equal_clean_evaluation_after"]
    )
