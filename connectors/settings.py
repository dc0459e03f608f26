"""What the service tells a connector about one source. Plain data: connectors never read the config."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from connectors.grants import GrantStore
from connectors.records import ItemType, StateCategory
from connectors.retry import RetryPolicy

# jira: which issues' web links a sync reads (connectors.jira.weblinks).
RemoteLinks = Literal["auto", "always", "off"]


EntraCredential = Literal["client-secret", "certificate", "workload-identity", "managed-identity"]


@dataclass(frozen=True)
class EntraSettings:
    """A Microsoft Entra ID identity for Azure DevOps (connectors.ado.entra)."""

    credential: EntraCredential = "client-secret"
    tenant_id: str | None = None
    client_id: str | None = None
    client_secret: str | None = None
    certificate_path: str | None = None
    authority_host: str = "https://login.microsoftonline.com"
    ca_bundle: str | None = None  # a private CA for the token endpoint (TLS-inspecting proxies)

    def __repr__(self) -> str:
        return (
            f"EntraSettings(credential={self.credential!r}, tenant_id={self.tenant_id!r}, "
            f"client_id={self.client_id!r}, client_secret='***', authority_host={self.authority_host!r})"
        )


@dataclass(frozen=True)
class OAuthSettings:
    """An Atlassian OAuth 2.0 (3LO) app's grant (connectors.jira.oauth): the app's id and secret, the
    token endpoint, and the store that holds the current rotating refresh token."""

    client_id: str
    client_secret: str
    token_url: str = "https://auth.atlassian.com/oauth/token"  # noqa: S105 - a URL, not a secret
    grants: GrantStore | None = None
    ca_bundle: str | None = None  # a private CA for the token endpoint and the gateway

    def __repr__(self) -> str:
        return (
            f"OAuthSettings(client_id={self.client_id!r}, client_secret='***', token_url={self.token_url!r})"
        )


@dataclass(frozen=True)
class Credentials:
    token: str
    user: str | None = None
    scheme: str = "basic"  # basic | bearer | entra | scoped-token | oauth
    entra: EntraSettings | None = None
    gateway_url: str | None = None  # scoped-token, oauth: API calls go here, not to the site URL
    oauth: OAuthSettings | None = None

    def __repr__(self) -> str:  # never print the token, even in a traceback's locals
        return f"Credentials(user={self.user!r}, scheme={self.scheme!r}, token='***', entra={self.entra!r})"


@dataclass(frozen=True)
class Vocabulary:
    """What the config says about a source's own words, for what the tracker's structure cannot tell.

    `types`: a raw type name → item type (story and bug sit at the same level); `delivered` and
    `not_delivered`: resolution ids or names (lower case); `status_categories`: a status name (lower
    case) → category, used only when neither the item nor the site's status list gives one.
    """

    types: Mapping[str, ItemType] = field(default_factory=dict)
    delivered: frozenset[str] = frozenset()
    not_delivered: frozenset[str] = frozenset()
    status_categories: Mapping[str, StateCategory] = field(default_factory=dict)


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
    vocabulary: Vocabulary = field(default_factory=Vocabulary)
    # How far back plan history is read (the schedule's retention_days: older changes are forgotten).
    history_days: int = 90
