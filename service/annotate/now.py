"""Write-back at once, as `poalign annotate` does it: plan the outbox from the findings, commit, then
deliver every pending write now (including those waiting out a back-off). The CLI and the dashboard's
"post to tracker now" both call `annotate_now`, so what an admin's click writes is what the command
writes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from service.annotate.deliver import Writers, deliver, deployments_of, writers_for
from service.annotate.plan import AnnotateSummary, Change, plan
from service.config.loader import LoadedConfig
from service.store import annotations as outbox


@dataclass(frozen=True)
class AnnotateRun:
    """What one run planned and sent: the writes planned, what delivery did, and how many annotations
    already matched their tracker (nothing to send)."""

    changes: list[Change]
    summary: AnnotateSummary
    unchanged: int

    @property
    def written(self) -> int:
        return self.summary.delivered

    @property
    def failed(self) -> int:
        return self.summary.failed

    def counts(self) -> dict[str, int]:
        return {"written": self.written, "unchanged": self.unchanged, "failed": self.failed}


def annotate_now(
    factory: sessionmaker[Session],
    loaded: LoadedConfig,
    scope: Sequence[str],
    *,
    writers: Writers | None = None,
) -> AnnotateRun:
    """Plan and deliver for the sources in `scope` (their write-back must be on: see
    writeback_sources). The caller serialises runs where replicas may race (service.store.locks)."""
    writers = writers if writers is not None else writers_for(loaded, set(scope))
    with factory.begin() as session:
        changes = plan(session, loaded, deployments=deployments_of(writers), only_sources=sorted(scope))
    with factory() as session:
        unchanged = outbox.settled_on_sources(session, scope)
    summary = deliver(factory, loaded, only_sources=sorted(scope), writers=writers, force=True)
    return AnnotateRun(changes, summary, unchanged)
