"""What the service tells a connector about one source. Plain data: connectors never read the config."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from connectors.retry import RetryPolicy

# jira: which issues' web links a sync reads (connectors.jira.weblinks).
RemoteLinks = Literal["auto", "always", "off"]


@dataclass(frozen=True)
class Credentials:
    token: str
    user: str | None = None
    scheme: str = "basic"  # basic | bearer

    def __repr__(self) -> str:  # never print the token, even in a traceback's locals
        return f"Credentials(user={self.user!r}, scheme={self.scheme!r}, token='***')"


@dataclass(frozen=True)
class SourceSettings:
    name: str
    kind: str
    url: str
    credentials: Credentials
    deployment: str = "detect"  # jira: cloud | datacenter | detect
    timeout_seconds: float = 30.0
    concurrency: int = 8
    page_size: int = 100
    lookback_minutes: int = 2
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    fields: Mapping[str, str] = field(default_factory=dict)
    projects: tuple[str, ...] = ()
    remote_links: RemoteLinks = "auto"
