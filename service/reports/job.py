"""The scheduled report: build from the store, keep it, deliver it to the configured webhooks."""

from __future__ import annotations

from service.evaluate import Evaluator
from service.logs import get_logger
from service.reports.build import create_report
from service.reports.delivery import Deliverer, DeliveryResult
from service.runtime import Runtime
from service.store.models import Report

log = get_logger(__name__)


def deliver_report(
    runtime: Runtime, report: Report, deliverer: Deliverer | None = None
) -> list[DeliveryResult]:
    """Send a stored report to every `reports.deliver_to` target; failures are logged, never raised."""
    targets = runtime.config.reports.deliver_to
    if not targets:
        return []
    return (deliverer or Deliverer()).deliver(report.content, targets, runtime.secret)


def run_report_job(runtime: Runtime, *, evaluate: bool = False, deliverer: Deliverer | None = None) -> Report:
    """Build and store a report covering the time since the last one, then deliver it.

    The scheduler's evaluate job keeps findings current; pass `evaluate=True` to run a full
    evaluation first (what `poalign report` does) when nothing else does.
    """
    if evaluate:
        Evaluator(runtime.factory, runtime.config).full()
    with runtime.factory.begin() as session:
        report = create_report(session, runtime.config)
    results = deliver_report(runtime, report, deliverer)
    log.info(
        "report.created",
        report=report.id,
        open=report.content["summary"]["open"],
        decisions=report.content["summary"]["decisions"],
        delivered=sum(1 for result in results if result.ok),
        failed=sum(1 for result in results if not result.ok),
    )
    return report
