"""Fault injection and the request log.

Every decision is a pure function of ``(seed, method, path?query, n)`` where ``n`` counts how
often that exact request has been seen before. So a run is reproducible under a seed even when
clients send requests concurrently (the interleaving changes, the decisions do not), and a retry
of a failed request gets a fresh draw.

Kinds of fault:

``429``        Too Many Requests with ``Retry-After`` (Jira: ``X-RateLimit-*``/``RateLimit-Reason``;
               ADO: ``X-RateLimit-Resource/Delay/Limit/Remaining/Reset`` and TF400733)
``500``        Internal Server Error
``503``        Service Unavailable with ``Retry-After``
``reset``      the TCP connection is reset before any response byte
``slow``       the answer comes after ``slow_s`` seconds (set it above the client timeout)
``truncated``  a 200 whose JSON body stops half way

Faults never touch the admin endpoints (``/_sandbox/...``).
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

from .rate_limits import RateLimiter

FAULT_KINDS = ("429", "500", "503", "reset", "slow", "truncated")
RATE_LIMIT_KEYS = frozenset(
    {"burst", "refill_per_s", "quota", "window_s", "tstu_limit", "tstu_per_request", "delay_share", "delay_s"}
)


@dataclass
class FaultConfig:
    latency_ms: float = 0.0
    latency_jitter_ms: float = 0.0  # extra random latency in [0, jitter) per request, seeded
    fault_rate: float = 0.0  # probability that a request gets a fault
    kinds: dict[str, float] = field(default_factory=lambda: dict.fromkeys(FAULT_KINDS, 1.0))
    retry_after_s: int = 1
    slow_s: float = 30.0
    seed: int = 0
    methods: list[str] | None = None  # only these HTTP methods get faults (latency applies to all)
    path_pattern: str | None = None  # only paths matching this regex get faults
    # the tracker's published rate limits, emulated (sandbox.rate_limits); None: unlimited
    rate_limit: dict[str, float] | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> FaultConfig:
        c = cls()
        c.update(**d)
        return c

    def update(self, **changes: Any) -> None:
        for k, v in changes.items():
            if not hasattr(self, k):
                raise ValueError(f"unknown fault setting {k!r}")
            if k == "kinds" and v is not None:
                if isinstance(v, list | tuple):
                    v = dict.fromkeys(v, 1.0)
                for kind in v:
                    if kind not in FAULT_KINDS:
                        raise ValueError(f"unknown fault kind {kind!r}; known: {', '.join(FAULT_KINDS)}")
                v = {str(a): float(b) for a, b in v.items()}
            if k == "rate_limit" and v is not None:
                unknown = set(v) - RATE_LIMIT_KEYS
                if unknown:
                    raise ValueError(
                        f"unknown rate_limit setting {sorted(unknown)[0]!r}; known: {', '.join(sorted(RATE_LIMIT_KEYS))}"
                    )
                v = {str(a): float(b) for a, b in v.items()}
            if k == "fault_rate" and not 0.0 <= float(v) <= 1.0:
                raise ValueError("fault_rate must be between 0 and 1")
            setattr(self, k, v)


@dataclass
class Decision:
    latency_s: float = 0.0
    kind: str | None = None


@dataclass
class _Scripted:
    kind: str
    remaining: int
    pattern: re.Pattern | None
    method: str | None


class FaultInjector:
    """Per-emulator fault policy; change it at runtime with :meth:`configure` / :meth:`inject`."""

    def __init__(self, config: FaultConfig | None = None) -> None:
        self.config = config or FaultConfig()
        self._seen: Counter[str] = Counter()
        self._script: list[_Scripted] = []
        self._lock = threading.Lock()
        self.injected: Counter[str] = Counter()
        self._limiter: RateLimiter | None = None

    def limiter(self, kind: str) -> RateLimiter:
        """The emulated rate limits of this config, kept across requests until the config changes."""
        with self._lock:
            if self._limiter is None or self._limiter.kind != kind:
                self._limiter = RateLimiter(kind, self.config.rate_limit)
            return self._limiter

    def configure(self, **changes: Any) -> FaultConfig:
        with self._lock:
            self.config.update(**changes)
            self._limiter = None
            if "seed" in changes:
                self._seen.clear()
        return self.config

    def reset(self, config: FaultConfig | None = None) -> None:
        with self._lock:
            self.config = config or FaultConfig(seed=self.config.seed)
            self._limiter = None
            self._seen.clear()
            self._script.clear()
            self.injected.clear()

    def inject(self, kind: str, count: int = 1, path: str | None = None, method: str | None = None) -> None:
        """Force ``kind`` on the next ``count`` requests (matching ``path`` regex / ``method``)."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; known: {', '.join(FAULT_KINDS)}")
        with self._lock:
            self._script.append(
                _Scripted(kind, count, re.compile(path) if path else None, method.upper() if method else None)
            )

    @staticmethod
    def _u(seed: int, key: str, n: int, salt: str) -> float:
        h = hashlib.sha256(f"{seed}|{salt}|{key}|{n}".encode()).digest()
        return int.from_bytes(h[:8], "big") / 2**64

    def decide(self, method: str, path: str, query: str) -> Decision:
        c = self.config
        key = f"{method} {path}?{query}"
        with self._lock:
            n = self._seen[key]
            self._seen[key] = n + 1
            d = Decision(latency_s=c.latency_ms / 1000.0)
            if c.latency_jitter_ms:
                d.latency_s += self._u(c.seed, key, n, "jitter") * c.latency_jitter_ms / 1000.0
            for s in self._script:
                if (
                    s.remaining > 0
                    and (s.pattern is None or s.pattern.search(path))
                    and (s.method is None or s.method == method)
                ):
                    s.remaining -= 1
                    d.kind = s.kind
                    self._script = [x for x in self._script if x.remaining > 0]
                    self.injected[d.kind] += 1
                    return d
            if c.fault_rate <= 0:
                return d
            if c.methods and method not in [m.upper() for m in c.methods]:
                return d
            if c.path_pattern and not re.search(c.path_pattern, path):
                return d
            if self._u(c.seed, key, n, "fault") >= c.fault_rate:
                return d
            kinds = [(k, w) for k, w in sorted(c.kinds.items()) if w > 0]
            total = sum(w for _, w in kinds)
            if not total:
                return d
            r = self._u(c.seed, key, n, "kind") * total
            for k, w in kinds:
                r -= w
                if r < 0:
                    d.kind = k
                    break
            else:
                d.kind = kinds[-1][0]
            self.injected[d.kind] += 1
            return d


@dataclass
class RequestLogEntry:
    ts: float  # wall-clock seconds when the request arrived
    emulator: str  # "jira" | "ado"
    tenant: str  # Jira site / ADO organization ("" when unknown)
    method: str
    path: str
    query: str
    status: int  # 0 while in flight and when the connection was reset
    latency_ms: float  # injected latency (and the slow-response delay)
    duration_ms: float  # from arrival to the last byte sent
    fault: str | None = None
    bytes: int = 0
    done: bool = False  # False while the request is in flight (the log is in arrival order)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class RequestLog:
    """Every request the emulators answered (admin calls excluded), in arrival order."""

    def __init__(self) -> None:
        self._entries: list[RequestLogEntry] = []
        self._lock = threading.Lock()

    def add(self, e: RequestLogEntry) -> None:
        with self._lock:
            self._entries.append(e)

    @property
    def entries(self) -> list[RequestLogEntry]:
        with self._lock:
            return list(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self):
        return iter(self.entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def filter(
        self,
        emulator: str | None = None,
        method: str | None = None,
        path: str | None = None,
        status: int | None = None,
        tenant: str | None = None,
        since: float | None = None,
    ) -> list[RequestLogEntry]:
        rx = re.compile(path) if path else None
        out = []
        for e in self.entries:
            if emulator and e.emulator != emulator:
                continue
            if method and e.method != method.upper():
                continue
            if rx and not rx.search(e.path):
                continue
            if status is not None and e.status != status:
                continue
            if tenant is not None and e.tenant != tenant:
                continue
            if since is not None and e.ts < since:
                continue
            out.append(e)
        return out

    def count(self, **kw: Any) -> int:
        return len(self.filter(**kw))

    def to_json(self) -> list[dict[str, Any]]:
        return [e.to_dict() for e in self.entries]


def now() -> float:
    return time.time()
