"""One rate budget per source, shared by every worker thread and client of it (sync, write-back,
webhook refetches): the tracker's rate-limit headers pace all of them together.

Without it each worker meets a 429 on its own, sleeps on its own and comes back at the same moment as
the others: a retry storm that the tracker answers with more 429s. With it:

- a 429 or 503 with ``Retry-After`` (or a 200 with it: Azure DevOps delaying us) closes the gate for
  that long, and no worker sends anything until it opens;
- a response that says how much is left of a window (``X-RateLimit-Remaining`` with
  ``X-RateLimit-Reset``, Jira Cloud's ``Beta-RateLimit: "…";r=…;t=…``) spreads what is left over the
  time left once less than a tenth remains, so the window is not used up before it ends;
- Azure DevOps' ``X-RateLimit-Delay`` (it has started delaying this identity) spaces requests by that
  delay;
- and since a burst limit rarely says its refill rate, each 429 doubles a learnt spacing between
  requests (from 50 ms) and each answer that is not one shrinks it by a fiftieth: the pace settles
  near the rate the tracker accepts instead of meeting the limit again at every reopening.

Header facts and sources: shared/reference/tracker-api-facts.md §5 (Jira) and §9 (Azure DevOps).
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime

NEAR_LIMIT = 0.1  # pace once less than this share of a window's requests is left
MAX_PAUSE_S = 300.0  # a header asking for longer is capped: the retry policy decides to give up
FIRST_BACKOFF_S, MAX_LEARNT_S, RECOVERY = 0.05, 5.0, 0.98
_BETA = re.compile(r"r=(\d+)\s*;\s*t=(\d+)")


def _number(value: str | None) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except ValueError:
        return None


def _seconds_until(reset: str | None, now: float) -> float | None:
    """X-RateLimit-Reset: an epoch (Azure DevOps) or an ISO 8601 time (Jira Cloud)."""
    if not reset:
        return None
    epoch = _number(reset)
    if epoch is None:
        try:
            when = datetime.fromisoformat(reset.replace("Z", "+00:00"))
        except ValueError:
            return None
        epoch = (when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp()
    return max(0.0, epoch - now)


class RateBudget:
    """The gate and the pace of one source. Thread-safe; the clock and sleep are injectable."""

    def __init__(
        self,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._clock, self._sleep = clock, sleep
        self._lock = threading.Lock()
        self._open_at = 0.0  # nothing is sent before this time
        self._spacing = 0.0  # at least this long between two requests
        self._learnt = 0.0  # the part of it learnt from 429s
        self._next_slot = 0.0
        self.throttled_seconds = 0.0
        self.pauses = 0

    def before_request(self) -> float:
        """Wait for the gate and this request's slot; return how long this call waited."""
        with self._lock:
            now = self._clock()
            start = max(now, self._open_at, self._next_slot)
            self._next_slot = start + self._spacing
            wait = start - now
            self.throttled_seconds += wait
        if wait > 0:
            self._sleep(wait)
        return wait

    def after_response(self, status: int, headers: Mapping[str, str]) -> None:
        """Read what the tracker said about its limits."""
        lower = {k.lower(): v for k, v in headers.items()}
        now = self._clock()
        retry_after = _number(lower.get("retry-after"))
        with self._lock:
            fresh = now >= self._open_at  # the others in flight meet the same limit: learn once
            if retry_after is not None and (status in (429, 503) or 200 <= status < 300):
                self._close_until(now + min(retry_after, MAX_PAUSE_S))
            if status == 429:
                if fresh:
                    self._learnt = min(MAX_LEARNT_S, max(FIRST_BACKOFF_S, self._learnt * 2))
            else:
                self._learnt = self._learnt * RECOVERY if self._learnt > FIRST_BACKOFF_S / 8 else 0.0
            self._spacing = max(self._learnt, self._pace(lower, now))

    def _close_until(self, when: float) -> None:
        if when > self._open_at:
            self._open_at = when
            self.pauses += 1

    @staticmethod
    def _pace(headers: Mapping[str, str], now: float) -> float:
        delay = _number(headers.get("x-ratelimit-delay"))
        if delay:
            return min(delay, MAX_PAUSE_S)
        beta = _BETA.search(headers.get("beta-ratelimit", ""))
        if beta:
            left, window_left = int(beta.group(1)), float(beta.group(2))
            policy = re.search(r"q=(\d+)", headers.get("beta-ratelimit-policy", ""))
            quota = int(policy.group(1)) if policy else None
            if quota and left < quota * NEAR_LIMIT:
                return window_left / max(left, 1)
        limit = _number(headers.get("x-ratelimit-limit"))
        remaining = _number(headers.get("x-ratelimit-remaining"))
        until = _seconds_until(headers.get("x-ratelimit-reset"), now)
        if limit and remaining is not None and until and remaining < limit * NEAR_LIMIT:
            return until / max(remaining, 1.0)
        return 0.0


_BUDGETS: dict[str, RateBudget] = {}
_BUDGETS_LOCK = threading.Lock()


def budget_for(source: str, url: str) -> RateBudget:
    """The budget of a source, the same object for every client of it in this process (a source
    given another URL is another tracker, with limits of its own)."""
    with _BUDGETS_LOCK:
        return _BUDGETS.setdefault(f"{source} {url}", RateBudget())
