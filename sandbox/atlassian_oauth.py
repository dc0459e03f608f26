"""The identity side of Jira Cloud for OAuth 2.0 (3LO) apps: an auth.atlassian.com-style token endpoint
with ROTATING refresh tokens, and api.atlassian.com's `accessible-resources`, served by the Jira
emulator beside its gateway (``/ex/jira/{cloudId}``) when started with ``auth="modern"``:

``POST /oauth/token``                          grant_type=refresh_token, client_id, client_secret,
                                                refresh_token (JSON or form body)
``GET  /oauth/token/accessible-resources``     the sites the bearer's grant reaches, with cloud ids

As Atlassian does: every refresh answers a new access token (``token_lifetime_s``) and a new refresh
token, and the refresh token sent is invalidated at once (this emulator gives no reuse leeway: a client
that sends a used one is told ``invalid_grant``, 403). The registered app and the first refresh token
(what a user's consent produced) are made at start; :meth:`OAuthState.revoke_grant` plays a user or
admin removing the app's access. The gateway accepts these access tokens as ``Authorization: Bearer``
until they expire.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

SCOPES = "read:jira-work write:jira-work manage:jira-webhook read:jira-user offline_access"


@dataclass
class OAuthState:
    token_lifetime_s: int = 3600
    client_id: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    client_secret: str = field(default_factory=lambda: secrets.token_urlsafe(48))
    token_requests: int = 0  # token endpoint calls, granted or not
    refreshes: int = 0  # granted rotations
    refused_refreshes: int = 0
    refused_access: int = 0  # gateway requests whose bearer token was unknown or expired
    _refresh: dict[str, bool] = field(default_factory=dict)  # refresh token → still valid
    _access: dict[str, float] = field(default_factory=dict)  # access token → wall-clock expiry
    _lock: threading.Lock = field(default_factory=threading.Lock)
    initial_refresh_token: str = ""

    def __post_init__(self) -> None:
        self.initial_refresh_token = self._new_refresh()

    def _new_refresh(self) -> str:
        token = "eyJraWQiOiJzYW5kYm94LXJvdGF0aW5nIn0." + secrets.token_urlsafe(40)
        self._refresh[token] = True
        return token

    def consent(self) -> str:
        """Another user consent: a new grant's first refresh token (another store, another copy)."""
        with self._lock:
            return self._new_refresh()

    def rotate(self, refresh_token: str) -> tuple[str, str] | None:
        """(access token, new refresh token); None when the refresh token is unknown or already used."""
        with self._lock:
            if not self._refresh.get(refresh_token):
                self.refused_refreshes += 1
                return None
            self._refresh[refresh_token] = False  # rotated: never valid again
            access = "eyJhbGciOiJSUzI1NiJ9.sandbox-3lo." + secrets.token_urlsafe(32)
            self._access[access] = time.time() + self.token_lifetime_s
            self.refreshes += 1
            return access, self._new_refresh()

    def valid_access(self, token: str) -> bool:
        with self._lock:
            expiry = self._access.get(token)
            ok = expiry is not None and time.time() < expiry
            if not ok:
                self.refused_access += 1
            return ok

    def knows_access(self, token: str) -> bool:
        return token.startswith("eyJhbGciOiJSUzI1NiJ9.sandbox-3lo.")

    def revoke_grant(self) -> None:
        """The app's access removed: every refresh and access token stops working."""
        with self._lock:
            self._refresh = dict.fromkeys(self._refresh, False)
            self._access.clear()

    def expire_access_tokens(self) -> None:
        """Every access token issued so far expires now (a token that runs out mid-sync)."""
        with self._lock:
            self._access = dict.fromkeys(self._access, 0.0)


def _error(status: int, code: str, description: str) -> JSONResponse:
    return JSONResponse({"error": code, "error_description": description}, status)


async def token_endpoint(state: OAuthState, request: Request) -> Response:
    state.token_requests += 1
    raw = (await request.body()).decode("utf-8", "replace")
    form: dict[str, Any]
    if "json" in request.headers.get("content-type", ""):
        try:
            form = json.loads(raw or "{}")
        except ValueError:
            return _error(400, "invalid_request", "The request body is not JSON.")
        if not isinstance(form, dict):
            return _error(400, "invalid_request", "The request body is not a JSON object.")
    else:
        form = {k: v[0] for k, v in parse_qs(raw).items()}
    if form.get("grant_type") != "refresh_token":
        return _error(400, "unsupported_grant_type", "Only refresh_token is served by this sandbox.")
    if form.get("client_id") != state.client_id or not secrets.compare_digest(
        str(form.get("client_secret") or ""), state.client_secret
    ):
        return _error(401, "access_denied", "Unauthorized")
    rotated = state.rotate(str(form.get("refresh_token") or ""))
    if rotated is None:
        return _error(403, "invalid_grant", "Unknown or invalid refresh token.")
    access, refresh = rotated
    return JSONResponse(
        {
            "access_token": access,
            "expires_in": state.token_lifetime_s,
            "token_type": "Bearer",
            "refresh_token": refresh,
            "scope": SCOPES,
        }
    )


def accessible_resources(state: OAuthState, request: Request, sites: list[tuple[str, str, str]]) -> Response:
    """``sites``: (cloud id, site URL, name) of each Cloud site the grant reaches."""
    header = request.headers.get("authorization", "")
    if header[:7].lower() != "bearer " or not state.valid_access(header[7:].strip()):
        return JSONResponse({"code": 401, "message": "Unauthorized"}, 401)
    return JSONResponse(
        [
            {"id": cloud_id, "url": url, "name": name, "scopes": SCOPES.split(), "avatarUrl": ""}
            for cloud_id, url, name in sites
        ]
    )
