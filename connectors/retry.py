"""Our own retry policy for both clients (theirs are switched off): bounded attempts, exponential
back-off with full jitter, Retry-After honoured up to a ceiling, and counters for the sync summary."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from connectors.errors import ConflictError, RetryableTrackerError, TrackerError, UnreachableError

T = TypeVar("T")
_JITTER = random.Random()  # one per process: seeding a new one per call reads os.urandom every time


@dataclass(frozen=True)
class RetryPolicy:
    max_retries: int = 5
    base_delay: float = 0.2
    max_delay: float = 8.0
    # A tracker asking for more than this is treated as down for this run (the source goes stale and the
    # next scheduled sync tries again) instead of blocking a worker for minutes.
    max_retry_after: float = 30.0


@dataclass
class CallStats:
    """Requests and retries made for one source during one run. Thread-safe."""

    requests: int = 0
    retries: int = 0
    waited_seconds: float = 0.0
    # wall-clock time during which requests were held back by the tracker's rate limits (the
    # overlapping waits of several workers count once)
    throttled_seconds: float = 0.0
    _throttled_until: float = field(default=0.0, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def count_request(self) -> None:
        with self._lock:
            self.requests += 1

    def count_throttled(self, waited: float) -> None:
        if waited > 0:
            with self._lock:
                now = time.monotonic()
                start = max(now, self._throttled_until)
                end = now + waited
                if end > start:
                    self.throttled_seconds += end - start
                    self._throttled_until = end

    def count_retry(self, waited: float) -> None:
        with self._lock:
            self.retries += 1
            self.waited_seconds += waited


class TrackerUnavailable(RetryableTrackerError):
    """Retries are exhausted or the tracker asked for a longer pause than we wait inside one run."""


# Answers that say the tracker did not act on the request: only these make a non-idempotent call
# (creating a comment) safe to send again. After a reset, a timeout or a cut-off body the comment may
# exist already; the caller must look before it posts again.
NOT_ACTED_ON = frozenset({429, 503})


def call_with_retry(
    operation: Callable[[], T],
    *,
    policy: RetryPolicy,
    stats: CallStats,
    describe: str,
    sleep: Callable[[float], None] = time.sleep,
    rng: random.Random | None = None,
    idempotent: bool = True,
) -> T:
    """Run operation; retry RetryableTrackerError with back-off. Other TrackerErrors pass through.
    A non-idempotent operation is retried only on answers that prove it was not acted on."""
    rng = rng or _JITTER
    attempt = 0
    while True:
        try:
            return operation()
        except ConflictError:
            raise  # sending the same request again cannot help: the caller must re-read first
        except UnreachableError:
            raise  # never answered: a wrong URL or a tracker that is down is said at once, not in 20 s
        except RetryableTrackerError as error:
            if not idempotent and error.status not in NOT_ACTED_ON:
                raise
            if attempt >= policy.max_retries:
                raise TrackerUnavailable(
                    f"{describe}: gave up after {attempt + 1} attempts: {error.message}", status=error.status
                ) from error
            if error.retry_after is not None:
                if error.retry_after > policy.max_retry_after:
                    raise TrackerUnavailable(
                        f"{describe}: the tracker asked to wait {error.retry_after:.0f}s; "
                        "leaving it for the next run",
                        status=error.status,
                        retry_after=error.retry_after,
                    ) from error
                delay = error.retry_after + rng.uniform(0, policy.base_delay)
            else:
                delay = rng.uniform(0, min(policy.max_delay, policy.base_delay * 2**attempt))
            stats.count_retry(delay)
            if error.status == 429:
                stats.count_throttled(delay)
            sleep(delay)
            attempt += 1
        except TrackerError:
            raise
