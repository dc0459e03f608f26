"""OpenID Connect sign-on for the dashboard: authorization code with PKCE (S256), through Authlib.

`GET /auth/login` sends the browser to the provider found by discovery (`<issuer>/.well-known/
openid-configuration`) with state, nonce and a code challenge; `GET /auth/callback` trades the code for
tokens and has Authlib check the id token (signature against the provider's JWKS, issuer, audience,
expiry, nonce). The session is Starlette's SessionMiddleware cookie, signed by itsdangerous with the key
in `oidc.session_secret_env` and expiring after `oidc.session_hours`; it holds the person's claims that
roles are worked out from (service.access.people), never a token. `POST /logout` (the dashboard's) clears it.

Reading the session (who it is, the CSRF token of forms) is service.access.sessions.
"""

from __future__ import annotations

import time

from fastapi import APIRouter, FastAPI, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.middleware.sessions import SessionMiddleware

from service.access.people import principal_for_claims
from service.access.sessions import PERSON
from service.logs import get_logger
from service.runtime import Runtime

log = get_logger(__name__)
NEXT = "next"
SESSION_COOKIE = "poalign_session"
# The claims a session keeps: what roles and the audit log need, nothing more (the cookie stays small).
KEPT_CLAIMS = ("sub", "email", "preferred_username", "name")


class SignOnNotReady(Exception):
    """oidc is configured but a variable it needs is not set."""


def install(app: FastAPI, runtime: Runtime) -> None:
    """Add the session middleware, the OAuth client and the /auth routes when `oidc` is configured."""
    oidc = runtime.config.oidc
    if oidc is None:
        return
    from authlib.integrations.starlette_client import OAuth  # imported only when sign-on is on

    key = runtime.secret(oidc.session_secret_env)
    if not key or len(key) < 32:
        raise SignOnNotReady(
            f"oidc.session_secret_env: set {oidc.session_secret_env} to a random value of at least 32 "
            "characters (the same on every replica), e.g. `python -c 'import secrets; print(secrets.token_urlsafe(48))'`"
        )
    secret = runtime.secret(oidc.client_secret_env) if oidc.client_secret_env else None
    if oidc.client_secret_env and not secret:
        raise SignOnNotReady(f"oidc.client_secret_env: the variable {oidc.client_secret_env} is not set")
    oauth = OAuth()
    oauth.register(
        name="idp",
        server_metadata_url=f"{oidc.issuer}/.well-known/openid-configuration",
        client_id=oidc.client_id,
        client_secret=secret,
        client_kwargs={
            "scope": " ".join(oidc.scopes),
            "code_challenge_method": "S256",
            **({} if secret else {"token_endpoint_auth_method": "none"}),
        },
    )
    app.state.oauth = oauth
    app.add_middleware(
        SessionMiddleware,
        secret_key=key,
        session_cookie=SESSION_COOKIE,
        max_age=int(oidc.session_hours * 3600),
        same_site="lax",
        https_only=bool(
            runtime.config.service.public_url and runtime.config.service.public_url.startswith("https")
        ),
    )
    app.include_router(router)


def _safe_next(value: object) -> str:
    from service.dashboard.routes import safe_next  # the dashboard imports the API's deps, which import us

    return safe_next(value if isinstance(value, str) else None)


router = APIRouter(prefix="/auth", include_in_schema=False)


def _callback_url(request: Request, runtime: Runtime) -> str:
    base = runtime.config.service.public_url
    return f"{base.rstrip('/')}/auth/callback" if base else str(request.url_for("signon_callback"))


@router.get("/login")
async def signon_login(request: Request, next: str | None = None) -> Response:
    runtime: Runtime = request.app.state.runtime
    request.session[NEXT] = _safe_next(next)
    try:
        return await request.app.state.oauth.idp.authorize_redirect(request, _callback_url(request, runtime))
    except Exception as error:  # discovery failed: the provider is down or the issuer is wrong
        log.error(
            "signon.discovery_failed",
            issuer=runtime.config.oidc.issuer if runtime.config.oidc else None,
            error=type(error).__name__,
        )
        return _failed(
            request, "the identity provider cannot be reached; try again later or tell an admin", 502
        )


@router.get("/callback", name="signon_callback")
async def signon_callback(request: Request) -> Response:
    from authlib.integrations.starlette_client import OAuthError

    runtime: Runtime = request.app.state.runtime
    if "error" in request.query_params:
        code = request.query_params.get("error", "")[:100]
        return _failed(request, f"the identity provider refused the sign-on ({code})", 400)
    if set(request.query_params) - {"code", "state", "session_state", "iss", "scope"}:
        return _failed(request, "unexpected parameters in the sign-on answer", 400)
    try:
        token = await request.app.state.oauth.idp.authorize_access_token(request)
    except OAuthError as error:
        log.warning("signon.refused", error=error.error)
        return _failed(
            request, "the sign-on could not be completed (state or code invalid); start again", 400
        )
    except Exception as error:  # a bad id token (signature, issuer, audience, nonce) or the provider away
        log.warning("signon.failed", error=type(error).__name__)
        return _failed(request, "the sign-on could not be checked; start again", 400)
    claims = token.get("userinfo") or {}
    kept = {k: claims[k] for k in KEPT_CLAIMS if isinstance(claims.get(k), str)}
    config = runtime.config
    groups_claim = config.access.groups_claim
    if isinstance(claims.get(groups_claim), list | str):
        kept[groups_claim] = claims[groups_claim]
    principal = principal_for_claims(kept, config)
    if principal is None:
        return _failed(
            request, "you are signed on but poalign gives you no role; ask an admin (access.roles)", 403
        )
    target = _safe_next(request.session.pop(NEXT, None))
    request.session.clear()
    request.session[PERSON] = {"claims": kept, "at": int(time.time())}
    log.info("signon.ok", person=principal.name, role=principal.role)
    return RedirectResponse(target, status_code=status.HTTP_303_SEE_OTHER)


def _failed(request: Request, message: str, status_code: int) -> HTMLResponse:
    from service.dashboard.routes import page

    return page(request, "signon_failed.html", status_code=status_code, message=message)
