"""Hostile input to what parses people's credentials: bearer headers, the sign-on callback's parameters,
the id tokens a broken or hostile provider returns, tampered and forged session cookies, and dashboard
forms without their CSRF token. Every case is refused with a 4xx naming nothing secret, never a 500,
and never a session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
from itsdangerous import TimestampSigner

from service.access import tokens
from service.api.app import create_app
from service.dashboard.signon import SignOnNotReady
from testkit.net import uvicorn_in_thread
from tests.hostile.strings import HOSTILE
from tests.service.reports.conftest import TOKEN
from tests.support.signon_world import SignOnWorld, signon_world


@pytest.fixture
def world(
    tmp_path: Path, store_url: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[SignOnWorld, str]]:
    with (
        signon_world(tmp_path, store_url, monkeypatch) as signed,
        uvicorn_in_thread(create_app(signed.runtime)) as port,
    ):
        base = f"http://127.0.0.1:{port}"
        signed.register(base)
        yield signed, base


def begin(client: httpx.Client) -> dict[str, str]:
    """Start a sign-on; the parameters the browser would carry to the provider."""
    start = client.get("/auth/login", params={"next": "/dashboard/findings"})
    assert start.status_code == 302, start.text
    return dict(parse_qsl(urlsplit(start.headers["location"]).query))


def provider_answer(signed: SignOnWorld, params: dict[str, str], person: str = "dana") -> str:
    back = httpx.post(f"{signed.issuer}/authorize", data={**params, "person": person})
    assert back.status_code == 302, back.text
    return str(back.headers["location"])


def sendable(header: bytes) -> bool:
    """What an HTTP client can put on the wire at all (h11 refuses control characters and edge spaces)."""
    return header == header.strip() and not any((b < 0x20 and b != 0x09) or b == 0x7F for b in header)


def signed_on(client: httpx.Client) -> bool:
    return client.get("/dashboard").status_code == 200


def test_the_real_flow_works_and_its_answer_cannot_be_replayed(world: tuple[SignOnWorld, str]) -> None:
    signed, base = world
    with httpx.Client(base_url=base) as client:
        params = begin(client)
        assert params["code_challenge_method"] == "S256" and params["nonce"] and params["state"]
        callback = provider_answer(signed, params)
        done = client.get(callback)
        assert done.status_code == 303 and done.headers["location"] == "/dashboard/findings"
        assert signed_on(client)
        again = client.get(callback)  # the state was used, the code too
        assert again.status_code == 400 and "start again" in again.text


def test_hostile_callback_parameters_are_refused(world: tuple[SignOnWorld, str]) -> None:
    signed, base = world
    with httpx.Client(base_url=base) as client:
        params = begin(client)
        callback = urlsplit(provider_answer(signed, params))
        good = dict(parse_qsl(callback.query))
        cases: list[dict[str, str]] = [
            {},
            {"code": good["code"]},  # no state
            {"state": good["state"]},  # no code
            {"code": good["code"], "state": "forged-" + good["state"]},
            {"code": "x" * 10_000, "state": good["state"]},
            {"code": good["code"], "state": good["state"], "next": "https://evil.example"},
            {"error": "access_denied", "error_description": "<script>alert(1)</script>"},
            {"error": "<img src=x onerror=alert(1)>" * 50},
            *({"code": text, "state": text} for text in HOSTILE),
        ]
        for query in cases:
            answer = client.get("/auth/callback", params=query)
            assert 400 <= answer.status_code < 500, (query, answer.status_code)
            assert "<script>alert" not in answer.text and "<img src=x" not in answer.text
            assert not signed_on(client), query
        # a wrong answer that carried the right state used that state up (one try per sign-on), so the
        # provider's genuine answer is refused too; a new sign-on works
        assert client.get(callback.path + "?" + callback.query).status_code == 400
        assert client.get(provider_answer(signed, begin(client))).status_code == 303 and signed_on(client)


@pytest.mark.parametrize(
    "fault", ["other-key", "alg-none", "wrong-audience", "wrong-issuer", "wrong-nonce", "expired"]
)
def test_an_id_token_that_does_not_check_out_gives_no_session(
    world: tuple[SignOnWorld, str], fault: str
) -> None:
    signed, base = world
    signed.provider.id_token_fault = fault
    with httpx.Client(base_url=base) as client:
        answer = client.get(provider_answer(signed, begin(client)))
        assert answer.status_code == 400 and "could not be" in answer.text, (fault, answer.text)
        assert not signed_on(client)
        assert client.get("/api/findings").status_code == 401


def test_tampered_and_forged_session_cookies_are_no_session(world: tuple[SignOnWorld, str]) -> None:
    signed, base = world
    with httpx.Client(base_url=base) as client:
        client.get(provider_answer(signed, begin(client), person="oscar"))  # an admin by group
        assert signed_on(client) and client.get("/api/audit").status_code == 200
        cookie = client.cookies["poalign_session"]
    payload, _, signature = cookie.rpartition(".")
    import base64
    import json

    forged_claims = base64.b64encode(
        json.dumps(
            {
                "person": {
                    "claims": {"email": "mallory@example.com", "groups": ["poalign-admins"]},
                    "at": 4102444800,
                }
            }
        ).encode()
    )
    other_key = TimestampSigner("not-the-servers-key-" * 3).sign(forged_claims).decode()
    variants = [
        cookie[:-3] + ("aaa" if not cookie.endswith("aaa") else "bbb"),  # signature changed
        payload[:-2] + "xx." + signature,  # payload changed
        other_key,  # well-formed, signed with another key, claims an admin group
        forged_claims.decode(),  # unsigned
        "",
        "." * 5000,
        "\u00e9t\u00e9",
        *HOSTILE[:8],
    ]
    raw = [b"poalign_session=" + value.encode() for value in variants]
    raw = [value for value in raw if sendable(value)]
    assert len(raw) > 8
    with httpx.Client(base_url=base) as anonymous:
        for value in raw:
            page = anonymous.get("/dashboard", headers=[(b"Cookie", value)])
            assert page.status_code == 303 and page.headers["location"].startswith("/login"), value[:60]
            assert anonymous.get("/api/audit", headers=[(b"Cookie", value)]).status_code == 401
    with httpx.Client(base_url=base, cookies={"poalign_token": "v1.9999999999." + "0" * 64}) as client:
        assert client.get("/api/findings").status_code == 401


def test_hostile_bearer_headers_get_401_never_500(world: tuple[SignOnWorld, str]) -> None:
    _, base = world
    values: list[bytes] = [
        b"Bearer",
        b"Bearer \tpoa_x",
        b"Bearer poa_",
        b"Bearer " + tokens.PREFIX.encode() + b"A" * 43,
        b"Bearer " + tokens.PREFIX.encode() + b"A" * 5000,
        b"Bearer " + TOKEN.encode() + b"x",
        b"Bearer " + TOKEN.encode()[:-1],
        b"Bearer poa_' OR '1'='1",
        b"Bearer poa_\xff\xfe\xc3\x28",
        b"Bearer \xe2\x80\xae" + TOKEN.encode(),
        b"Basic " + TOKEN.encode(),
        b"Bearer " + TOKEN.encode() + b" " + TOKEN.encode(),
        b"Token " + TOKEN.encode(),
        *(b"Bearer " + text.encode("utf-8") for text in HOSTILE),
    ]
    values = [v for v in values if sendable(v)]
    assert len(values) > 20
    with httpx.Client(base_url=base) as client:
        for value in values:
            answer = client.get("/api/findings", headers={"Authorization": value})
            assert answer.status_code == 401, (value[:60], answer.status_code)
            assert answer.headers["content-type"] == "application/problem+json"
            assert TOKEN not in answer.text
        assert client.get("/api/findings", headers={"Authorization": f"bearer {TOKEN}"}).status_code == 200


def test_dashboard_forms_need_their_csrf_token(world: tuple[SignOnWorld, str]) -> None:
    signed, base = world
    with signed.runtime.factory() as session:
        from sqlalchemy import select

        from service.store.models import Finding

        fingerprint = session.scalar(select(Finding.fingerprint).where(Finding.rule == "DEP002"))
    with httpx.Client(base_url=base) as client:
        client.get(provider_answer(signed, begin(client), person="dana"))
        url = f"/dashboard/findings/{fingerprint}/suppress"
        for form in (
            {"reason": "no token"},
            {"reason": "wrong", "csrf": "x" * 32},
            {"reason": "empty", "csrf": ""},
        ):
            assert client.post(url, data=form).status_code == 403, form
        assert (
            client.post(
                url,
                content=b"reason=" + b"x" * 20_000,
                headers={"content-type": "application/x-www-form-urlencoded"},
            ).status_code
            == 413
        )
        page = client.get(f"/dashboard/findings/{fingerprint}").text
        csrf = page.split('name="csrf" value="')[1].split('"')[0]
        assert client.post(url, data={"reason": "agreed", "csrf": csrf}).status_code == 303
    with signed.runtime.factory() as session:
        status = session.scalar(select(Finding.status).where(Finding.fingerprint == fingerprint))
    assert status == "suppressed"


def test_sign_on_without_its_session_key_refuses_to_start(
    world: tuple[SignOnWorld, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    signed, _ = world
    for value in (None, "too-short"):
        if value is None:
            monkeypatch.delenv("POALIGN_TEST_SESSION_SECRET")
        else:
            monkeypatch.setenv("POALIGN_TEST_SESSION_SECRET", value)
        with pytest.raises(
            SignOnNotReady, match="set POALIGN_TEST_SESSION_SECRET to a random value of at least 32"
        ):
            create_app(signed.runtime)


def test_hostile_contract_answers_are_refused_or_told_never_run(world: tuple[SignOnWorld, str]) -> None:
    signed, base = world
    with signed.runtime.factory() as session:
        from sqlalchemy import select

        from service.store.models import Finding

        fingerprint = session.scalar(select(Finding.fingerprint).where(Finding.rule == "DEP002"))
    with httpx.Client(base_url=base) as client:
        client.get(provider_answer(signed, begin(client), person="alice"))  # Payments' PO
        page = client.get(f"/dashboard/findings/{fingerprint}").text
        csrf = page.split('name="csrf" value="')[1].split('"')[0]
        url = f"/dashboard/findings/{fingerprint}/contract"
        for verb in ("need", "accept", "help", "", "commit\n/poalign decline x", "<script>"):
            answer = client.post(url, data={"verb": verb, "argument": "2099-01-15", "csrf": csrf})
            assert answer.status_code == 422, verb
        for text in (*HOSTILE, "x" * 301, "   "):
            answer = client.post(url, data={"verb": "commit", "argument": text, "csrf": csrf})
            assert answer.status_code in (200, 422), (text[:40], answer.status_code)
            assert "<script>alert" not in answer.text and "<img src=x" not in answer.text
        assert (
            client.post(url, data={"verb": "commit", "argument": "2099-01-15"}).status_code == 403
        )  # no CSRF
    with httpx.Client(base_url=base) as client:
        client.get(provider_answer(signed, begin(client), person="dana"))  # the dependent's PO: not hers
        page = client.get(f"/dashboard/findings/{fingerprint}").text
        csrf = page.split('name="csrf" value="')[1].split('"')[0]
        refused = client.post(url, data={"verb": "commit", "argument": "2099-01-15", "csrf": csrf})
        assert refused.status_code == 403 and "needs the role po for team Payments" in refused.text


def test_post_to_tracker_now_needs_its_csrf_token_and_write_back(world: tuple[SignOnWorld, str]) -> None:
    """The admin's button: a forged or missing token is 403, an oversized form 413; with write-back off
    (the planted config) the admin is told so (409) and nothing runs or is audited."""
    signed, base = world
    with httpx.Client(base_url=base) as client:
        client.get(provider_answer(signed, begin(client), person="oscar"))
        for form in ({}, {"csrf": "x" * 32}, {"csrf": ""}, {"csrf": HOSTILE[0]}):
            assert client.post("/dashboard/annotate", data=form or {"x": "1"}).status_code == 403, form
        oversized = client.post(
            "/dashboard/annotate",
            content=b"csrf=" + b"x" * 20_000,
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
        assert oversized.status_code == 413
        home = client.get("/dashboard").text
        assert "Write-back is off for every source." in home and 'class="primary" disabled>' in home
        csrf = home.split('name="csrf" value="')[1].split('"')[0]
        off = client.post("/dashboard/annotate", data={"csrf": csrf})
        assert off.status_code == 409 and "write-back is off for every source" in off.text
    admin = {"Authorization": f"Bearer {TOKEN}"}
    with httpx.Client(base_url=base, headers=admin) as api:
        assert api.get("/api/audit", params={"action": "annotate.now"}).json()["entries"] == []
