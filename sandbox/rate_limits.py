"""Rate limits as the trackers publish them, so a client's pacing can be tested over real HTTP.

Jira (``FaultConfig.rate_limit = {"burst": N, "refill_per_s": R, "quota": Q, "window_s": W}``):
a token bucket per tenant, endpoint and method (Cloud's per-second burst limit: ``RateLimit-Reason:
jira-burst-based``), and optionally an hourly points quota per tenant (one point a request here),
reported as ``Beta-RateLimit-Policy: "tenant-app-quota";q=Q;w=W`` and ``Beta-RateLimit:
"tenant-app-quota";r=left;t=seconds-left`` on every answer; an empty bucket or quota answers 429 with
``Retry-After``, ``X-RateLimit-*`` and ``RateLimit-Reason``.

Azure DevOps (``{"tstu_limit": L, "tstu_per_request": C, "window_s": 300, "delay_share": 0.5,
"delay_s": D}``): TSTUs used in a sliding window per organization; above ``delay_share`` of the limit
each answer is delayed by ``D`` and carries ``X-RateLimit-Delay`` (and the other headers); at the
limit, 429 TF400733 with ``Retry-After`` until enough usage has left the window.

Shapes: shared/reference/tracker-api-facts.md §5 and §9 (real Jira Cloud headers recorded in 2026,
Microsoft's rate-limits page). Clocks are real (monotonic): a limit is about wall time, not the
world's frozen clock.
"""

from __future__ import annotations

import math
import re
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

_NUMBERS = re.compile(r"/\d+(?=/|$)")
_KEYS = re.compile(r"/[A-Z][A-Z0-9_]*-\d+(?=/|$)")


def endpoint(path: str) -> str:
    """Issue keys and ids folded: the burst limit is per endpoint, not per issue."""
    return _NUMBERS.sub("/{id}", _KEYS.sub("/{key}", path))


@dataclass
class RateDecision:
    delay_s: float = 0.0
    blocked: bool = False
    retry_after: int = 0
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class _Bucket:
    tokens: float
    at: float


class RateLimiter:
    """One emulator's limits; :meth:`take` is called once per tracker request."""

    def __init__(self, kind: str, settings: dict[str, Any] | None, clock: Any = time.monotonic) -> None:
        self.kind, self.settings, self._clock = kind, dict(settings or {}), clock
        self._lock = threading.Lock()
        self._buckets: dict[tuple[str, str, str], _Bucket] = {}
        self._quota: dict[str, tuple[float, int]] = {}  # tenant → (window start, used)
        self._usage: dict[str, deque[tuple[float, float]]] = {}  # tenant → (time, TSTUs)
        self.blocked = 0
        self.delayed = 0

    @property
    def active(self) -> bool:
        return bool(self.settings)

    def take(self, tenant: str, method: str, path: str) -> RateDecision:
        with self._lock:
            now = self._clock()
            decision = (
                self._jira(tenant, method, path, now) if self.kind == "jira" else self._ado(tenant, now)
            )
            if decision.blocked:
                self.blocked += 1
            elif decision.delay_s:
                self.delayed += 1
            return decision

    # -- Jira ---------------------------------------------------------------------------------
    def _jira(self, tenant: str, method: str, path: str, now: float) -> RateDecision:
        s = self.settings
        decision = RateDecision()
        quota, window = int(s.get("quota") or 0), float(s.get("window_s") or 3600)
        if quota:
            start, used = self._quota.get(tenant, (now, 0))
            if now - start >= window:
                start, used = now, 0
            left, window_left = quota - used, max(1, math.ceil(window - (now - start)))
            decision.headers.update(
                {
                    "Beta-RateLimit-Policy": f'"tenant-app-quota";q={quota};w={int(window)}',
                    "Beta-RateLimit": f'"tenant-app-quota";r={max(0, left - 1)};t={window_left}',
                }
            )
            if left <= 0:
                return self._jira_blocked(decision, window_left, "jira-quota-tenant-based", 0, quota)
            self._quota[tenant] = (start, used + 1)
        burst = float(s.get("burst") or 0)
        if burst:
            refill = float(s.get("refill_per_s") or burst)
            key = (tenant, method, endpoint(path))
            bucket = self._buckets.setdefault(key, _Bucket(burst, now))
            bucket.tokens = min(burst, bucket.tokens + (now - bucket.at) * refill)
            bucket.at = now
            decision.headers.update({"X-RateLimit-Limit": str(int(burst))})
            if bucket.tokens < 1:
                wait = max(1, math.ceil((1 - bucket.tokens) / refill))
                return self._jira_blocked(decision, wait, "jira-burst-based", 0, int(burst))
            bucket.tokens -= 1
            decision.headers["X-RateLimit-Remaining"] = str(int(bucket.tokens))
        return decision

    @staticmethod
    def _jira_blocked(decision: RateDecision, wait: int, reason: str, left: int, limit: int) -> RateDecision:
        decision.blocked, decision.retry_after = True, wait
        decision.headers.update(
            {
                "Retry-After": str(wait),
                "RateLimit-Reason": reason,
                "X-RateLimit-Limit": str(limit),
                "X-RateLimit-Remaining": str(left),
                "X-RateLimit-NearLimit": "true",
            }
        )
        return decision

    # -- Azure DevOps -------------------------------------------------------------------------
    def _ado(self, tenant: str, now: float) -> RateDecision:
        s = self.settings
        limit = float(s.get("tstu_limit") or 0)
        if not limit:
            return RateDecision()
        window = float(s.get("window_s") or 300)
        cost = float(s.get("tstu_per_request") or 1)
        usage = self._usage.setdefault(tenant, deque())
        while usage and now - usage[0][0] >= window:
            usage.popleft()
        used = sum(c for _, c in usage)
        reset = int(time.time() + (window - (now - usage[0][0]) if usage else 0))
        headers = {
            "X-RateLimit-Resource": "WorkItemTracking",
            "X-RateLimit-Limit": f"{limit:g}",
            "X-RateLimit-Remaining": f"{max(0.0, limit - used - cost):g}",
            "X-RateLimit-Reset": str(reset),
        }
        if used + cost > limit:
            # until enough of the oldest usage has left the window for this request to fit
            freed, wait = used, 1.0
            for at, spent in usage:
                freed -= spent
                wait = window - (now - at)
                if freed + cost <= limit:
                    break
            retry = max(1, math.ceil(wait))
            return RateDecision(
                blocked=True,
                retry_after=retry,
                headers={**headers, "Retry-After": str(retry), "X-RateLimit-Delay": f"{retry:.3f}"},
            )
        usage.append((now, cost))
        if used + cost > limit * float(s.get("delay_share", 0.5)):
            delay = float(s.get("delay_s") or 0.05)
            return RateDecision(delay_s=delay, headers={**headers, "X-RateLimit-Delay": f"{delay:.3f}"})
        return RateDecision()
