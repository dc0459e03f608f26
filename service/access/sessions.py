"""The sign-on session's reading side: who a session cookie belongs to, and the CSRF token of forms.

The cookie is Starlette's SessionMiddleware's (installed by service.dashboard.signon when `oidc` is
configured): signed by itsdangerous, expiring. It holds the person's id token claims, never a token;
the role and teams are worked out from them on every request (service.access.people).

The cookie is SameSite=Lax: the provider's redirect back is a cross-site navigation that a Strict
cookie would not survive (the state would be lost). Forms that write therefore also carry a CSRF token
(`csrf_token`), checked by `check_csrf`.
"""

from __future__ import annotations

import hmac
import secrets
import time
from typing import Any

from fastapi import HTTPException, Request, status

from service.access.people import principal_for_claims
from service.access.roles import Principal
from service.config.schema import Config

PERSON = "person"
CSRF = "csrf"
TOKEN_COOKIE = "poalign_token"  # noqa: S105  (a cookie name: the API-token login of service.api.deps)


def configured(config: Config) -> bool:
    return config.oidc is not None


def _session(request: Request) -> dict[str, Any] | None:
    return request.session if "session" in request.scope else None


def principal_from_session(request: Request, config: Config) -> Principal | None:
    session = _session(request)
    if not session or config.oidc is None:
        return None
    person = session.get(PERSON)
    if not isinstance(person, dict) or not isinstance(person.get("claims"), dict):
        return None
    signed_on = person.get("at")
    if not isinstance(signed_on, int | float) or time.time() - signed_on > config.oidc.session_hours * 3600:
        return None
    return principal_for_claims(person["claims"], config)


def csrf_token(request: Request, api_token: str | None) -> str:
    """The value a dashboard form that writes must send back: per sign-on session, or derived from the
    token cookie for those who logged in with the API token."""
    session = _session(request)
    if session is not None and session.get(PERSON):
        if not isinstance(session.get(CSRF), str):
            session[CSRF] = secrets.token_urlsafe(24)
        return str(session[CSRF])
    cookie = request.cookies.get(TOKEN_COOKIE, "")
    if api_token and cookie:
        return hmac.new(api_token.encode(), f"poalign-csrf:{cookie}".encode(), "sha256").hexdigest()
    return ""


def check_csrf(request: Request, given: str, api_token: str | None) -> None:
    expected = csrf_token(request, api_token)
    if not expected or not hmac.compare_digest(given.encode("utf-8", "replace"), expected.encode()):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            "the form is stale or was not sent from this dashboard; reload the page",
        )
