"""Typed dependencies for routes: the runtime, a session, and the API token check.

The dashboard's cookie is a session derived from the token, never the token itself: `v1.<expiry>.<mac>`
with mac = HMAC-SHA256(token, "poalign-dashboard-session:<expiry>"). A stolen cookie expires, a
changed token ends every session, and the token never travels back to the browser.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from service.logs import get_logger
from service.runtime import Runtime

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


def require_token(
    request: Request,
    runtime: RuntimeDep,
    _declared: Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)] = None,
) -> None:
    """Bearer token (or the dashboard's session cookie) checked in constant time. No token configured:
    refuse."""
    expected = runtime.secret(runtime.config.api.token_env)
    if not expected:
        log.error("api.refused.no_token", hint=f"set the environment variable {runtime.config.api.token_env}")
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "API token not configured on the server",
            headers={"WWW-Authenticate": "Bearer"},
        )
    header = request.headers.get("authorization", "")
    scheme, _, given = header.partition(" ")
    if scheme.lower() == "bearer":
        accepted = bool(given) and hmac.compare_digest(given.strip().encode(), expected.encode())
    else:
        accepted = valid_session(request.cookies.get(SESSION_COOKIE, ""), expected)
    if not accepted:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, "missing or wrong API token", headers={"WWW-Authenticate": "Bearer"}
        )


Authenticated = Depends(require_token)
