"""Write-back: findings as comments and owned labels/tags on the items (plan the outbox, deliver it)."""

from service.annotate.deliver import RateLimiter, deliver, deployments_of, writers_for
from service.annotate.now import AnnotateRun, annotate_now
from service.annotate.plan import AnnotateSummary, Change, plan, writeback_sources

__all__ = [
    "AnnotateRun",
    "AnnotateSummary",
    "Change",
    "RateLimiter",
    "annotate_now",
    "deliver",
    "deployments_of",
    "plan",
    "writeback_sources",
    "writers_for",
]
