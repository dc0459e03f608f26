"""Typed dependencies for routes: the runtime, a session, and the API token check."""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from sqlalchemy.orm import Session

from service.logs import get_logger
from service.runtime import Runtime

log = get_logger(__name__)


def get_runtime(request: Request) -> Runtime:
    return request.app.state.runtime  # type: ignore[no-any-return]


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def get_session(runtime: RuntimeDep) -> Iterator[Session]:
    with runtime.factory() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def require_token(request: Request, runtime: RuntimeDep) -> None:
    """Bearer token (or the dashboard's cookie) compared in constant time. No token configured: refuse."""
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
    if scheme.lower() != "bearer":
        given = request.cookies.get("poalign_token", "")
    if not given or not hmac.compare_digest(given.strip().encode(), expected.encode()):
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, "missing or wrong API token", headers={"WWW-Authenticate": "Bearer"}
        )


Authenticated = Depends(require_token)
