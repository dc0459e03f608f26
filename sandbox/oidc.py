"""A small OpenID Connect provider on loopback, so poalign's sign-on is tested through a real browser flow.

What a standards-compliant provider (Entra ID, Okta, Google, Keycloak) serves to a confidential web
client with the authorization code grant and PKCE:

``GET  /.well-known/openid-configuration``  discovery: the endpoints below, RS256, S256
``GET  /jwks``                               the public key the id tokens are signed with
``GET  /authorize``                          a login form listing the sandbox's people (or, with
                                             ``auto_login``, straight back to the client as that person)
``POST /authorize``                          the chosen person: a one-time code, back to the redirect URI
``POST /token``                              code + code_verifier + client secret (basic or post): a
                                             signed id token (iss, aud, sub, exp, iat, nonce, email,
                                             name, preferred_username, groups) and an access token
``GET  /userinfo``                           the same claims, for the access token

It checks what a real provider checks: the client id, an exactly registered redirect URI, ``openid`` in
the scope, a S256 code challenge, codes used once and within 60 s, the verifier against the challenge,
the client secret. ``id_token_fault`` plays a broken or hostile provider for the tests: ``other-key`` (signed
with a key not in the JWKS), ``wrong-audience``, ``wrong-issuer``, ``wrong-nonce``, ``expired``, ``alg-none``
(unsigned). Errors are RFC 6749's (``invalid_request``, ``invalid_grant``, ...). Nothing of poalign
is imported: this is the other end of the wire.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

CODE_SECONDS = 60
MAX_FORM = 16_384


@dataclass(frozen=True)
class Person:
    username: str
    name: str
    email: str
    groups: tuple[str, ...] = ()

    @property
    def sub(self) -> str:
        return hashlib.sha256(self.username.encode()).hexdigest()[:24]

    def claims(self) -> dict[str, Any]:
        return {
            "sub": self.sub,
            "name": self.name,
            "email": self.email,
            "preferred_username": self.username,
            "groups": list(self.groups),
        }


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _int_b64(value: int) -> str:
    return _b64(value.to_bytes((value.bit_length() + 7) // 8, "big"))


@dataclass
class OidcProvider:
    """State and ASGI app of the provider. Set ``base_url`` (the issuer) once it listens, and register the
    client's ``redirect_uris``."""

    people: list[Person]
    client_id: str = "poalign-dashboard"
    client_secret: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    redirect_uris: list[str] = field(default_factory=list)
    base_url: str = ""
    auto_login: str | None = None
    token_lifetime_s: int = 300
    id_token_fault: str | None = None
    issued: list[dict[str, Any]] = field(default_factory=list)  # one entry per id token: who, for whom
    _codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    _access: dict[str, dict[str, Any]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = secrets.token_hex(8)

    # -- signing -----------------------------------------------------------------------------------
    def jwks(self) -> dict[str, Any]:
        numbers = self._key.public_key().public_numbers()
        key = {"kty": "RSA", "use": "sig", "alg": "RS256", "kid": self.kid}
        return {"keys": [{**key, "n": _int_b64(numbers.n), "e": _int_b64(numbers.e)}]}

    def sign(self, claims: dict[str, Any]) -> str:
        header = {"alg": "RS256", "typ": "JWT", "kid": self.kid}
        signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
        signature = self._key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
        return f"{signing_input}.{_b64(signature)}"

    # -- ASGI --------------------------------------------------------------------------------------
    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        response = await self._route(request)
        await response(scope, receive, send)

    def _issuer(self, request: Request) -> str:
        return self.base_url or f"{request.url.scheme}://{request.url.netloc}"

    async def _route(self, request: Request) -> Response:
        path, method = request.url.path, request.method
        if method == "GET" and path == "/.well-known/openid-configuration":
            return JSONResponse(self.discovery(self._issuer(request)))
        if method == "GET" and path == "/jwks":
            return JSONResponse(self.jwks())
        if path == "/authorize" and method in ("GET", "POST"):
            params = dict(request.query_params) if method == "GET" else await _form(request)
            return self._authorize(request, params, chosen=params.get("person") if method == "POST" else None)
        if method == "POST" and path == "/token":
            return self._token(request, await _form(request))
        if method == "GET" and path == "/userinfo":
            return self._userinfo(request)
        return JSONResponse({"error": "not_found"}, 404)

    def discovery(self, issuer: str) -> dict[str, Any]:
        return {
            "issuer": issuer,
            "authorization_endpoint": f"{issuer}/authorize",
            "token_endpoint": f"{issuer}/token",
            "userinfo_endpoint": f"{issuer}/userinfo",
            "jwks_uri": f"{issuer}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "profile", "email", "groups"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "code_challenge_methods_supported": ["S256"],
            "grant_types_supported": ["authorization_code"],
            "claims_supported": ["sub", "name", "email", "preferred_username", "groups", "nonce"],
        }

    # -- authorize ---------------------------------------------------------------------------------
    def _authorize(self, request: Request, params: dict[str, str], chosen: str | None) -> Response:
        if params.get("client_id") != self.client_id:
            return _page(400, "Unknown client", "<p>The client_id is not registered here.</p>")
        redirect_uri = params.get("redirect_uri", "")
        if redirect_uri not in self.redirect_uris:
            return _page(400, "Redirect URI not registered", "<p>This redirect_uri is not registered.</p>")
        state = params.get("state")

        def back(**answer: str) -> Response:
            query = {**answer, **({"state": state} if state else {})}
            return RedirectResponse(f"{redirect_uri}?{urlencode(query)}", status_code=302)

        if params.get("response_type") != "code":
            return back(error="unsupported_response_type")
        if "openid" not in params.get("scope", "").split():
            return back(error="invalid_scope", error_description="openid is required")
        challenge = params.get("code_challenge", "")
        if params.get("code_challenge_method") != "S256" or not 43 <= len(challenge) <= 128:
            return back(error="invalid_request", error_description="PKCE with S256 is required")
        username = chosen or self.auto_login
        if username is None:
            return self._login_form(params)
        person = next((p for p in self.people if p.username == username), None)
        if person is None:
            return back(error="access_denied", error_description="no such person")
        code = secrets.token_urlsafe(24)
        with self._lock:
            self._codes[code] = {
                "person": person,
                "redirect_uri": redirect_uri,
                "challenge": challenge,
                "nonce": params.get("nonce"),
                "until": time.time() + CODE_SECONDS,
                "issuer": self._issuer(request),
            }
        return back(code=code, iss=self._issuer(request))

    def _login_form(self, params: dict[str, str]) -> Response:
        hidden = "".join(
            f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
            for k, v in params.items()
            if k != "person"
        )
        options = "".join(
            f'<label><input type="radio" name="person" value="{html.escape(p.username)}" required> '
            f"{html.escape(p.name)} ({html.escape(p.email)})</label><br>"
            for p in self.people
        )
        body = f'<form method="post" action="/authorize">{hidden}{options}<button type="submit">Sign in</button></form>'
        return _page(200, "Sandbox sign-in", body)

    # -- token -------------------------------------------------------------------------------------
    def _client_ok(self, request: Request, form: dict[str, str]) -> bool:
        header = request.headers.get("authorization", "")
        if header.lower().startswith("basic "):
            try:
                user, _, password = base64.b64decode(header[6:]).decode().partition(":")
            except (ValueError, UnicodeDecodeError):
                return False
        else:
            user, password = form.get("client_id", ""), form.get("client_secret", "")
        return secrets.compare_digest(user, self.client_id) and secrets.compare_digest(
            password, self.client_secret
        )

    def _token(self, request: Request, form: dict[str, str]) -> Response:
        if not self._client_ok(request, form):
            return JSONResponse({"error": "invalid_client"}, 401, headers={"WWW-Authenticate": "Basic"})
        if form.get("grant_type") != "authorization_code":
            return JSONResponse({"error": "unsupported_grant_type"}, 400)
        with self._lock:
            grant = self._codes.pop(form.get("code", ""), None)  # used once, whatever happens next
        if grant is None or grant["until"] < time.time():
            return JSONResponse({"error": "invalid_grant", "error_description": "unknown or used code"}, 400)
        if form.get("redirect_uri") != grant["redirect_uri"]:
            return JSONResponse({"error": "invalid_grant", "error_description": "redirect_uri differs"}, 400)
        verifier = form.get("code_verifier", "")
        if _b64(hashlib.sha256(verifier.encode()).digest()) != grant["challenge"]:
            return JSONResponse(
                {"error": "invalid_grant", "error_description": "PKCE verification failed"}, 400
            )
        person: Person = grant["person"]
        now = int(time.time())
        claims = {
            **person.claims(),
            "iss": grant["issuer"],
            "aud": self.client_id,
            "iat": now,
            "exp": now + self.token_lifetime_s,
            **({"nonce": grant["nonce"]} if grant["nonce"] else {}),
        }
        id_token = self._faulty(claims) if self.id_token_fault else self.sign(claims)
        access = secrets.token_urlsafe(32)
        with self._lock:
            self._access[access] = {"claims": person.claims(), "until": now + self.token_lifetime_s}
            self.issued.append({"username": person.username, "client_id": self.client_id, "at": now})
        return JSONResponse(
            {
                "access_token": access,
                "token_type": "Bearer",
                "expires_in": self.token_lifetime_s,
                "id_token": id_token,
                "scope": "openid profile email",
            },
            headers={"Cache-Control": "no-store"},
        )

    def _faulty(self, claims: dict[str, Any]) -> str:
        fault = self.id_token_fault
        if fault == "other-key":
            impostor = OidcProvider(people=[], client_id=self.client_id)
            impostor.kid = self.kid  # the same key id, another key: only the signature tells
            return impostor.sign(claims)
        if fault == "alg-none":
            header = _b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
            return f"{header}.{_b64(json.dumps(claims).encode())}."
        faults: dict[str, dict[str, Any]] = {
            "wrong-audience": {"aud": "someone-else"},
            "wrong-issuer": {"iss": "https://evil.example"},
            "wrong-nonce": {"nonce": "not-the-one-sent"},
            "expired": {"exp": int(time.time()) - 3600, "iat": int(time.time()) - 7200},
        }
        return self.sign({**claims, **faults[fault or ""]})

    def _userinfo(self, request: Request) -> Response:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        with self._lock:
            grant = self._access.get(token) if scheme.lower() == "bearer" else None
        if grant is None or grant["until"] < time.time():
            return JSONResponse({"error": "invalid_token"}, 401, headers={"WWW-Authenticate": "Bearer"})
        return JSONResponse(grant["claims"])


async def _form(request: Request) -> dict[str, str]:
    body = await request.body()
    if len(body) > MAX_FORM:
        return {}
    return {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}


def _page(status: int, title: str, body: str) -> HTMLResponse:
    return HTMLResponse(
        f"<!DOCTYPE html><html lang=en><head><meta charset=utf-8><title>{html.escape(title)}</title></head>"
        f"<body><h1>{html.escape(title)}</h1>{body}</body></html>",
        status,
    )
