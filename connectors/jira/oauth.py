"""Access tokens for Jira Cloud from an Atlassian OAuth 2.0 (3LO) grant with rotating refresh tokens.

Atlassian's token endpoint (https://auth.atlassian.com/oauth/token) answers a refresh with a new
access token (about an hour) AND a new refresh token, and invalidates the refresh token it was sent.
So the current refresh token is state that must never be lost nor used twice:

- it lives in the service's store (connectors.grants.GrantStore, encrypted there), not in the config;
- a refresh happens under the store's lease, so two processes (a `sync` beside `serve`, replicas)
  never send the same refresh token: the one that waited reads what the other stored, and uses the
  fresh access token stored with it instead of rotating again;
- the rotated token is written back (committed) before the new access token is used;
- tokens are refreshed before they expire (two minutes early, or half way through a short life), and
  a 401 makes the client forget the token it sent and retry once with another (connectors.jira.client):
  never a loop. A refresh token the endpoint refuses fails at once, naming the source, the token
  endpoint and what to do.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from typing import Any

import requests

from connectors.errors import AuthError, RateLimitedError, TransportError, UnavailableError
from connectors.grants import GrantStore, StoredGrant
from connectors.settings import OAuthSettings
from connectors.unreachable import CONNECT_TIMEOUT_S, transport_failure

REFRESH_MARGIN_S = 120.0
LEASE_S = 30.0  # longer than a token request can take (its timeout); a crashed holder's lapses
WAIT_STEP_S = 0.05


class GrantRefused(AuthError):
    """The token endpoint refused the grant or the app's credentials: another try cannot help."""


def _seed_hint(source: str) -> str:
    return (
        f"authorise the app again (the consent flow with offline_access) and store the new refresh token "
        f"with `poalign auth jira-oauth --source {source}`"
    )


class OAuthTokens:
    """The current access token of one source, shared by its worker threads."""

    def __init__(
        self,
        source: str,
        oauth: OAuthSettings,
        *,
        timeout_s: float = 30.0,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if oauth.grants is None:
            raise ValueError("an OAuth source needs a grant store")
        self.source, self._oauth, self._grants = source, oauth, oauth.grants
        self._timeout_s, self._clock, self._sleep = timeout_s, clock, sleep
        self._lock = threading.Lock()
        self._access: str | None = None
        self._refresh_at = 0.0
        self._rejected: set[str] = set()  # access tokens a tracker answered 401 to
        # the grant generation the endpoint refused, and its answer: the other workers hear the same
        # without asking again, until a new grant is seeded (a new generation)
        self._refused: tuple[int, GrantRefused] | None = None
        self._http = requests.Session()
        self.refreshes = 0  # rotations this process made: visible in tests and logs
        self._sent = threading.local()

    @property
    def grants(self) -> GrantStore:
        return self._grants

    def token(self) -> str:
        with self._lock:
            if self._access is None or self._clock() >= self._refresh_at:
                self._renew()
            assert self._access is not None
            self._sent.token = self._access
            return self._access

    def invalidate_sent(self) -> None:
        """The token this thread last sent was refused: never use it again, get another next time."""
        sent = getattr(self._sent, "token", None)
        with self._lock:
            if sent is not None:
                self._rejected.add(sent)
                if sent == self._access:
                    self._access = None

    # -- renewing ---------------------------------------------------------------------------------
    def _usable(self, grant: StoredGrant) -> bool:
        if not grant.access_token or grant.access_expires_at is None or grant.access_token in self._rejected:
            return False
        return self._clock() < self._refresh_time(grant)

    @staticmethod
    def _refresh_time(grant: StoredGrant) -> float:
        expires = grant.access_expires_at or 0.0
        lifetime = max(0.0, expires - grant.rotated_at)  # issued when the refresh token rotated
        return expires - min(REFRESH_MARGIN_S, lifetime / 2)

    def _adopt(self, grant: StoredGrant) -> None:
        self._access, self._refresh_at = grant.access_token, self._refresh_time(grant)

    def _renew(self) -> None:
        """Adopt the stored access token when another process just made it, else rotate under the lease."""
        give_up = self._clock() + LEASE_S + self._timeout_s
        while True:
            grant = self._grants.current()
            if grant is None:
                raise GrantRefused(
                    f"source {self.source} has no stored OAuth grant: {_seed_hint(self.source)}"
                )
            if self._refused is not None and self._refused[0] == grant.generation:
                raise self._refused[1]
            if self._usable(grant):
                self._adopt(grant)
                return
            lease = self._grants.claim(LEASE_S)
            if lease is None:  # another process is refreshing: wait for what it stores
                if self._clock() > give_up:
                    raise UnavailableError(
                        f"source {self.source}: another poalign process has held the OAuth refresh for "
                        f"{LEASE_S:.0f} s without finishing; it is retried by the next run"
                    )
                self._sleep(WAIT_STEP_S)
                continue
            try:
                if self._usable(lease.grant):  # stored between our look and our claim
                    self._grants.release(lease)
                    self._adopt(lease.grant)
                    return
                refresh, access, lifetime = self._exchange(lease.grant.refresh_token)
            except GrantRefused as refused:
                self._refused = (lease.grant.generation, refused)
                self._grants.release(lease)
                raise
            except BaseException:
                self._grants.release(lease)
                raise
            now = self._clock()
            # written back before it is used: a crash from here on loses nothing
            if not self._grants.complete(lease, refresh, access, now + lifetime):
                raise GrantRefused(
                    f"source {self.source}: the OAuth refresh lease lapsed and another process rotated the "
                    f"refresh token meanwhile; if the next run fails too, {_seed_hint(self.source)}"
                )
            self.refreshes += 1
            self._access = access
            self._refresh_at = now + lifetime - min(REFRESH_MARGIN_S, lifetime / 2)
            return

    def _exchange(self, refresh_token: str) -> tuple[str, str, float]:
        """(new refresh token, access token, lifetime in s) from the token endpoint."""
        url = self._oauth.token_url
        body = {
            "grant_type": "refresh_token",
            "client_id": self._oauth.client_id,
            "client_secret": self._oauth.client_secret,
            "refresh_token": refresh_token,
        }
        try:
            response = self._http.post(
                url,
                json=body,
                timeout=(min(CONNECT_TIMEOUT_S, self._timeout_s), self._timeout_s),
                verify=self._oauth.ca_bundle or True,
            )
        except (requests.ConnectionError, requests.Timeout) as error:
            raise transport_failure(
                error,
                tracker="the Atlassian token endpoint",
                url=url,
                reached=False,
                connect_timeout=CONNECT_TIMEOUT_S,
            ) from None
        answer = _json(response)
        if response.status_code == 429:
            raise RateLimitedError(f"{url} throttled the token refresh", status=429, url=url)
        if response.status_code >= 500:
            raise UnavailableError(f"{url} answered {response.status_code} to the token refresh", url=url)
        if response.status_code != 200:
            raise self._refusal(response.status_code, answer)
        access, lifetime = answer.get("access_token"), answer.get("expires_in")
        if not isinstance(access, str) or not access or not isinstance(lifetime, int | float):
            raise TransportError(f"{url} answered a refresh without access_token/expires_in", url=url)
        rotated = answer.get("refresh_token")
        # Atlassian always rotates; an endpoint that does not keeps the token it was sent
        return (rotated if isinstance(rotated, str) and rotated else refresh_token), access, float(lifetime)

    def _refusal(self, status: int, answer: dict[str, Any]) -> GrantRefused:
        code = str(answer.get("error") or "")
        said = str(answer.get("error_description") or code or f"HTTP {status}")[:200]
        where = f"source {self.source}: the token endpoint {self._oauth.token_url} refused"
        if code in ("invalid_client", "unauthorized_client", "access_denied"):
            return GrantRefused(
                f"{where} the app's credentials ({said}): check auth.client_id and the secret in "
                "auth.client_secret_env (the app's Settings in developer.atlassian.com/console)",
                status=status,
            )
        return GrantRefused(
            f"{where} the stored refresh token ({said}): it was revoked, unused for 90 days, older than "
            f"365 days, or sent by a copy of poalign that does not share this store; {_seed_hint(self.source)}",
            status=status,
        )


def _json(response: requests.Response) -> dict[str, Any]:
    try:
        found = response.json()
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


class BearerFromTokens(requests.auth.AuthBase):
    """requests signs each request with the token current at that moment."""

    def __init__(self, tokens: OAuthTokens) -> None:
        self.tokens = tokens

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self.tokens.token()}"
        return request


_TOKENS: dict[tuple[str, ...], OAuthTokens] = {}
_TOKENS_LOCK = threading.Lock()


def tokens_for(source: str, oauth: OAuthSettings, timeout_s: float) -> OAuthTokens:
    """One token cache per source and app in this process: sync, write-back and hooks share it."""
    secret = hashlib.sha256(oauth.client_secret.encode()).hexdigest()
    key = (source, oauth.token_url, oauth.client_id, secret, str(getattr(oauth.grants, "identity", "")))
    with _TOKENS_LOCK:
        return _TOKENS.setdefault(key, OAuthTokens(source, oauth, timeout_s=timeout_s))
