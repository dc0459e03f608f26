"""Typed dependencies for routes: the runtime, a session, and who is asking (service.access).

A request is authenticated by, in this order: a bearer token (the configured API token: admin, for
machines; or a token from `poalign token create`, found by its digest), the sign-on session
(service.access.sessions), or the dashboard's token-derived cookie (admin). Every route behind
`Authenticated` gets `request.state.principal`; writes then check the role (service.access.roles).

The dashboard's cookie is a session derived from the token, never the token itself: `v1.<expiry>.<mac>`
with mac = HMAC-SHA256(token, "poalign-dashboard-session:<expiry>"). A stolen cookie expires, a
changed token ends every session, and the token never travels back to the browser.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from service.access import sessions, tokens
from service.access.roles import Principal, require
from service.logs import get_logger
from service.runtime import Runtime
from service.store import access as access_store
from service.store.base import utcnow

log = get_logger(__name__)


def get_runtime(request: Request) -> Runtime:
    return request.app.state.runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def get_session(runtime: RuntimeDep) -> Iterator[Session]:
    with runtime.factory() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


SESSION_COOKIE = "poalign_token"
SESSION_SECONDS = 12 * 3600


def _session_mac(token: str, expires: int) -> str:
    return hmac.new(
        token.encode(), f"poalign-dashboard-session:{expires}".encode(), hashlib.sha256
    ).hexdigest()


def session_cookie(token: str, now: float | None = None) -> str:
    """The dashboard cookie for a correct login: valid for SESSION_SECONDS, tied to this token."""
    expires = int(now if now is not None else time.time()) + SESSION_SECONDS
    return f"v1.{expires}.{_session_mac(token, expires)}"


def valid_session(cookie: str, token: str, now: float | None = None) -> bool:
    version, _, rest = cookie.partition(".")
    expires_text, _, mac = rest.partition(".")
    if version != "v1" or not expires_text.isascii() or not expires_text.isdigit() or len(expires_text) > 12:
        return False
    expires, current = int(expires_text), now if now is not None else time.time()
    if not current < expires <= current + SESSION_SECONDS + 60:
        return False
    return hmac.compare_digest(mac.encode(), _session_mac(token, expires).encode())


# Declares the scheme in the OpenAPI document (Swagger UI's Authorize button) on every route that
# checks the token; require_token reads the header itself, so a cookie is never tried after "Bearer ".
BEARER = HTTPBearer(
    auto_error=False,
    scheme_name="APIToken",
    description="The API token: the value of the environment variable that api.token_env names.",
)


API_TOKEN_PRINCIPAL = Principal(name="api-token", role="admin", via="api-token")
LAST_USED_EVERY = timedelta(minutes=5)  # `token list` shows when a token was last used, to 5 minutes


def _refuse(detail: str) -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, detail, headers={"WWW-Authenticate": "Bearer"})


def _stored_token(runtime: Runtime, presented: str) -> Principal | None:
    now = utcnow()
    with runtime.factory() as session:
        try:
            principal = tokens.principal_for(session, presented, now)
        except tokens.TokenRefused as refused:
            raise _refuse(str(refused)) from None
        row = access_store.token_by_digest(session, tokens.digest(presented)) if principal else None
        if row is not None and (row.last_used_at is None or now - row.last_used_at > LAST_USED_EVERY):
            access_store.mark_used(session, row.id, now)
            session.commit()
    return principal


def authenticate(request: Request, runtime: Runtime) -> Principal:
    """Who is asking, or 401. A bearer header is judged alone: a wrong one never falls back to a cookie."""
    expected = runtime.secret(runtime.config.api.token_env)
    header = request.headers.get("authorization", "")
    scheme, _, given = header.partition(" ")
    given = given.strip()
    if scheme.lower() == "bearer":
        if not given:
            raise _refuse("missing API token")
        principal = _stored_token(runtime, given)
        if principal is not None:
            return principal
        if expected and hmac.compare_digest(given.encode("utf-8", "replace"), expected.encode()):
            return API_TOKEN_PRINCIPAL
        raise _refuse("missing or wrong API token")
    person = sessions.principal_from_session(request, runtime.config)
    if person is not None:
        return person
    if expected and valid_session(request.cookies.get(SESSION_COOKIE, ""), expected):
        return API_TOKEN_PRINCIPAL
    if not expected and not sessions.configured(runtime.config):
        log.error("api.refused.no_token", hint=f"set the environment variable {runtime.config.api.token_env}")
        raise _refuse("API token not configured on the server")
    raise _refuse("missing or wrong API token")


def require_token(
    request: Request,
    runtime: RuntimeDep,
    _declared: Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)] = None,
) -> Principal:
    """Authenticate (401 otherwise) and keep the principal on the request for the role checks."""
    principal = authenticate(request, runtime)
    request.state.principal = principal
    return principal


Authenticated = Depends(require_token)
PrincipalDep = Annotated[Principal, Depends(require_token)]


def client_address(request: Request) -> str | None:
    """Where the request came from, for the audit log (uvicorn resolves X-Forwarded-For from the proxies
    it is told to trust, --forwarded-allow-ips)."""
    return request.client.host if request.client else None


def requires(role: str) -> Any:
    """A route dependency: 403 (a problem naming the role) unless the principal has at least `role`."""

    def check(principal: PrincipalDep) -> Principal:
        require(principal, role)
        return principal

    return Depends(check)
