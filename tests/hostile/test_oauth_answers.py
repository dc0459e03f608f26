"""Hostile answers from an OAuth token endpoint (what a wrong `token_url`, a proxy's error page or a
compromised endpoint sends), and hostile bodies to the sandbox's own token endpoint: each ends in one
of our error classes, never a crash; the stored grant is untouched by an answer that was no grant;
nothing of the answer's text beyond a short quote reaches the message."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from cryptography.fernet import Fernet
from sqlalchemy.orm import Session, sessionmaker

from connectors.errors import TrackerError
from connectors.jira.oauth import OAuthTokens
from connectors.settings import OAuthSettings
from sandbox.testing import running_sandbox, small_world
from service.grants import StoreGrants
from tests.hostile.strings import HOSTILE

ANSWERS: list[tuple[int, str, bytes]] = [
    (200, "application/json", b"not json at all"),
    (200, "application/json", b"[1, 2, 3]"),
    (200, "application/json", b'{"access_token": null, "expires_in": 3600}'),
    (200, "application/json", b'{"access_token": "a", "expires_in": "soon"}'),
    (200, "application/json", b'{"access_token": ["a"], "expires_in": 1}'),
    (200, "text/html", b"<html><body>Sign in to the proxy</body></html>"),
    (400, "application/json", b'{"error": {"nested": true}}'),
    (401, "application/json", b'{"error": "invalid_client", "error_description": "' + b"x" * 5000 + b'"}'),
    (403, "application/json", b'{"error": "invalid_grant"}'),
    (418, "text/plain", b"\x00\xff\xfe binary"),
    (500, "text/plain", b"oops"),
    (503, "application/json", b"{}"),
    (429, "application/json", b"{}"),
] + [
    (403, "application/json", json.dumps({"error": "invalid_grant", "error_description": h}).encode())
    for h in HOSTILE
]


class _Answer(BaseHTTPRequestHandler):
    answer: tuple[int, str, bytes] = (200, "application/json", b"{}")

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length") or 0))
        status, kind, body = self.answer
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def endpoint() -> object:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Answer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("answer", ANSWERS, ids=lambda a: f"{a[0]}-{a[2][:20]!r}")
def test_a_hostile_token_answer_is_an_error_of_ours_and_leaves_the_grant_as_it_was(
    answer: tuple[int, str, bytes], endpoint: ThreadingHTTPServer, session_factory: sessionmaker[Session]
) -> None:
    _Answer.answer = answer
    grants = StoreGrants(session_factory, "jira-x", Fernet(Fernet.generate_key()), key_variable="K")
    generation = grants.seed("the-refresh-token")
    url = f"http://127.0.0.1:{endpoint.server_address[1]}/oauth/token"
    tokens = OAuthTokens("jira-x", OAuthSettings("client", "client-secret", url, grants), timeout_s=5)
    with pytest.raises(TrackerError) as caught:
        tokens.token()
    stored = grants.current()
    assert stored is not None and stored.generation == generation
    assert stored.refresh_token == "the-refresh-token"
    assert grants.claim(1.0) is not None  # the lease was given back
    message = str(caught.value)
    assert "the-refresh-token" not in message and "client-secret" not in message
    assert len(message) < 1000


BODIES = (
    [(h.encode(), "application/json") for h in HOSTILE]
    + [(h.encode(), "application/x-www-form-urlencoded") for h in HOSTILE]
    + [(b"[]", "application/json"), (b"\xff\xfe", "application/json"), (b"a=" + b"%" * 999, "text/plain")]
)


def test_the_sandbox_token_endpoint_answers_hostile_bodies_with_an_oauth_error() -> None:
    with running_sandbox(small_world(), auth="modern", jira_auth="oauth") as sandbox:
        oauth = sandbox.state.jira_oauth
        assert oauth is not None
        for body, kind in BODIES:
            answer = requests.post(
                f"{sandbox.jira_root}/oauth/token", data=body, headers={"Content-Type": kind}, timeout=10
            )
            assert 400 <= answer.status_code < 500 and "error" in answer.json(), (body, answer.text)
        assert oauth.refreshes == 0
