"""Bearer tokens for Azure DevOps from Microsoft Entra ID: a service principal (client secret or
certificate), AKS workload identity or a managed identity, through `azure-identity`.

The `azure-devops` client has no Entra support of its own (its token workaround never refreshes,
and tokens live about an hour), so every request asks :class:`EntraTokens` for the current token:
a cached one until shortly before it expires, then a new one. A 401 makes the client call
:meth:`EntraTokens.invalidate` and retry once (connectors.ado.client): a token the tokens service
revoked early is replaced, and a credential that is wrong fails at once instead of looping.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from typing import Any
from urllib.parse import urlsplit

from azure.core.credentials import AccessToken, TokenCredential
from azure.core.exceptions import ClientAuthenticationError
from msrest.authentication import Authentication

from connectors.errors import AuthError
from connectors.settings import EntraSettings

# Azure DevOps' resource id: its tokens are asked for with this scope (Microsoft's docs, "Use service
# principals & managed identities in Azure DevOps").
ADO_SCOPE = "499b84ac-1321-427f-aa17-267ca6975798/.default"
# Hosts MSAL knows without asking login.microsoftonline.com's instance discovery (sovereign clouds
# included); any other authority host (an emulator, a private endpoint) is used as given.
KNOWN_AUTHORITIES = frozenset(
    {
        "login.microsoftonline.com",
        "login.microsoftonline.us",
        "login.chinacloudapi.cn",
        "login.partner.microsoftonline.cn",
    }
)
REFRESH_MARGIN_S = 120.0
REFUSAL_REMEMBERED_S = 60.0  # a refused credential is not asked again by every worker for this long


class TokenRefused(AuthError):
    """The token service said no: a wrong secret, certificate or identity. A new token cannot help."""


def make_credential(entra: EntraSettings) -> TokenCredential:
    """The azure-identity credential for these settings; nothing is sent until a token is asked."""
    from azure import identity

    options: dict[str, Any] = {"authority": entra.authority_host}
    if urlsplit(entra.authority_host).hostname not in KNOWN_AUTHORITIES:
        options["disable_instance_discovery"] = True
    if entra.ca_bundle:
        options["connection_verify"] = entra.ca_bundle
    if entra.credential == "managed-identity":
        mi: dict[str, Any] = {"client_id": entra.client_id} if entra.client_id else {}
        if entra.ca_bundle:
            mi["connection_verify"] = entra.ca_bundle
        return identity.ManagedIdentityCredential(**mi)
    if entra.credential == "workload-identity":  # AZURE_FEDERATED_TOKEN_FILE from the pod's projection
        return identity.WorkloadIdentityCredential(
            tenant_id=entra.tenant_id, client_id=entra.client_id, **options
        )
    if entra.credential == "certificate":
        return identity.CertificateCredential(
            str(entra.tenant_id), str(entra.client_id), certificate_path=entra.certificate_path, **options
        )
    return identity.ClientSecretCredential(
        str(entra.tenant_id), str(entra.client_id), str(entra.client_secret), **options
    )


class EntraTokens:
    """The current Azure DevOps token of one source, shared by its worker threads."""

    def __init__(self, entra: EntraSettings, clock: Any = time.time, source: str = "") -> None:
        self._entra, self._clock, self._source = entra, clock, source
        self._lock = threading.Lock()
        self._credential: TokenCredential | None = None
        self._token: AccessToken | None = None
        self._refresh_at = 0.0
        self._refused: tuple[float, TokenRefused] | None = None
        self._sent = threading.local()  # the token this thread last signed a request with
        self.issued = 0  # tokens fetched: refreshes are visible in tests and logs

    def token(self) -> str:
        with self._lock:
            if self._refused is not None and self._clock() - self._refused[0] < REFUSAL_REMEMBERED_S:
                raise self._refused[1]  # the other workers hear the same answer without asking again
            if self._token is None or self._clock() >= self._refresh_at:
                self._token = self._fetch()
                lifetime = max(0.0, self._token.expires_on - self._clock())
                # refresh before expiry: two minutes early, or half way through a short-lived token
                self._refresh_at = self._token.expires_on - min(REFRESH_MARGIN_S, lifetime / 2)
            self._sent.token = self._token.token
            return self._token.token

    def invalidate(self) -> None:
        """The token this thread sent was refused: forget it and the credential's cache, so the next
        request gets a token made anew. When another worker already replaced it, nothing: the workers
        in flight that met the same refusal share the one new token."""
        sent = getattr(self._sent, "token", None)
        with self._lock:
            if self._token is not None and (sent is None or hmac.compare_digest(sent, self._token.token)):
                self._token, self._credential = None, None

    def _fetch(self) -> AccessToken:
        if self._credential is None:
            self._credential = make_credential(self._entra)
        try:
            token = self._credential.get_token(ADO_SCOPE)
        except ClientAuthenticationError as error:
            where = f"source {self._source}: " if self._source else ""
            endpoint = f"{self._entra.authority_host}/{self._entra.tenant_id or 'organizations'}"
            refused = TokenRefused(
                f"{where}Microsoft Entra ID refused a token for Azure DevOps at {endpoint} "
                f"({_first_line(error)}): check the source's auth (tenant_id, client_id and its secret or "
                "certificate, and secret_expires: an expired secret is refused so; the identity must be "
                "added to the Azure DevOps organization)"
            )
            self._refused = (self._clock(), refused)
            raise refused from None
        self._refused = None
        self.issued += 1
        return token


def _first_line(error: Exception) -> str:
    text = str(getattr(error, "message", None) or error).strip()
    return text.splitlines()[0][:300] if text else type(error).__name__


class EntraAuthentication(Authentication):
    """msrest signs every request (RequestsCredentialsPolicy) with the token current at that moment."""

    def __init__(self, tokens: EntraTokens) -> None:
        super().__init__()
        self.tokens = tokens

    def signed_session(self, session: Any = None) -> Any:
        session = super().signed_session(session)
        session.headers["Authorization"] = f"Bearer {self.tokens.token()}"
        return session


_TOKENS: dict[tuple[str, ...], EntraTokens] = {}
_TOKENS_LOCK = threading.Lock()


def tokens_for(source: str, entra: EntraSettings) -> EntraTokens:
    """One token cache per source and identity in this process: sync, write-back and the inbox share it."""
    # the secret's digest too: a rotated secret (config reloaded by a long-running serve) is a new cache
    secret = hashlib.sha256(str(entra.client_secret or entra.certificate_path).encode()).hexdigest()
    key = (source, entra.authority_host, str(entra.tenant_id), str(entra.client_id), entra.credential, secret)
    with _TOKENS_LOCK:
        return _TOKENS.setdefault(key, EntraTokens(entra, source=source))
