"""Rate limits for the webhook intake: token buckets per client address and per source.

Two buckets, charged at different moments:

- per (source, client address): every request to a source's webhook route, charged before the body
  is read, so a flood from one address costs a dictionary lookup per request, not an HMAC over a
  megabyte;
- per source: verified deliveries only, charged after the signature check, so a runaway tracker
  (or a leaked secret) cannot fill the inbox faster than configured, while a stranger sending
  unsigned junk cannot use up the real tracker's allowance.

A refused request gets 429 with Retry-After (whole seconds until a token is back). The defaults
(`WebhookConfig`) sit well above what a tracker sends and above what one process takes in (about
2,000 deliveries/s), so they only ever stop a flood. Buckets live in the process: with several
replicas each one limits what reaches it.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

MAX_CLIENTS = 10_000  # client buckets kept (least recently used dropped first)


@dataclass
class Bucket:
    rate: float  # tokens per second
    capacity: float  # the burst
    tokens: float
    stamp: float

    def take(self, now: float) -> float:
        """0.0 when a token was taken; otherwise seconds until one is available."""
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return 0.0
        return (1.0 - self.tokens) / self.rate


def retry_after(wait: float) -> str:
    return str(max(1, math.ceil(wait)))


class WebhookLimiter:
    def __init__(self, clock: Callable[[], float] = time.monotonic, max_clients: int = MAX_CLIENTS) -> None:
        self.clock = clock
        self.max_clients = max_clients
        self._sources: dict[str, Bucket] = {}
        self._clients: OrderedDict[tuple[str, str], Bucket] = OrderedDict()
        self._lock = threading.Lock()

    def _bucket(self, rate: float, burst: int, now: float) -> Bucket:
        return Bucket(rate=rate, capacity=float(burst), tokens=float(burst), stamp=now)

    def client(self, source: str, address: str, rate: float, burst: int) -> float:
        """Charge one request from `address` to `source`: 0.0 if allowed, else seconds to wait."""
        with self._lock:
            now = self.clock()
            key = (source, address)
            bucket = self._clients.get(key)
            if bucket is None:
                bucket = self._clients[key] = self._bucket(rate, burst, now)
                if len(self._clients) > self.max_clients:
                    self._clients.popitem(last=False)
            else:
                self._clients.move_to_end(key)
            return bucket.take(now)

    def source(self, source: str, rate: float, burst: int) -> float:
        """Charge one verified delivery to `source`: 0.0 if allowed, else seconds to wait."""
        with self._lock:
            now = self.clock()
            bucket = self._sources.get(source)
            if bucket is None:
                bucket = self._sources[source] = self._bucket(rate, burst, now)
            return bucket.take(now)
