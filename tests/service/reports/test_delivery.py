"""Report delivery over httpx, mocked with respx (we cannot run Slack or Teams here)."""

from __future__ import annotations

import io
import json
import logging
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

from service import logs
from service.config.loader import parse_config
from service.config.schema import ReportTarget
from service.reports import create_report
from service.reports.delivery import Deliverer, generic_body, slack_body, teams_body
from service.reports.job import run_report_job
from service.runtime import Runtime
from tests.service.reports.planted_store import World, config_text

PUBLIC = "93.184.215.14"
SLACK_URL = "https://hooks.slack.com/services/T0001/B0002/slackSecretPath123"
TEAMS_URL = "https://prod-01.westeurope.logic.azure.com/workflows/abc/triggers/manual/paths/invoke?sig=teamsSecretSig456"
GENERIC_URL = "https://alerts.example.com/hooks/poalign?token=genericSecretToken789"
SECRETS = ("slackSecretPath123", "teamsSecretSig456", "genericSecretToken789", "T0001/B0002")


def public_resolver(host: str, port: int, *args: Any) -> list[tuple[Any, ...]]:
    """Every name is a public host, except the ones named for the private ranges."""
    fixed = {
        "intranet.example.com": "192.168.1.10",
        "mixed.example.com": "10.0.0.7",
        "metadata.example.com": "169.254.169.254",
    }
    if host == "mixed.example.com":
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", (PUBLIC, port)),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.7", port)),
        ]
    try:
        address = str(__import__("ipaddress").ip_address(host.strip("[]")))
    except ValueError:
        address = fixed.get(host, PUBLIC)
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    return [(family, socket.SOCK_STREAM, 6, "", (address, port))]


@pytest.fixture
def store_url(sqlite_template: Path, tmp_path: Path) -> str:
    """Delivery does not depend on the store backend: SQLite only (content tests cover both)."""
    path = tmp_path / "delivery.db"
    shutil.copyfile(sqlite_template, path)
    return f"sqlite:///{path}"


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def deliverer(sleeps: Sleeps) -> Deliverer:
    return Deliverer(attempts=4, backoff=1.0, max_backoff=10.0, sleep=sleeps, resolver=public_resolver)


@pytest.fixture
def content(planted: World) -> dict[str, Any]:
    with planted.factory.begin() as session:
        return create_report(session, planted.loaded.config).content


def target(kind: str, env: str = "HOOK", allow: bool = False) -> ReportTarget:
    return ReportTarget(kind=kind, url_env=env, allow_private_network=allow)  # type: ignore[arg-type]  # parametrized kinds arrive as str; pydantic checks the literal


def deliver(deliverer: Deliverer, content: dict, kind: str, url: str, allow: bool = False) -> Any:
    return deliverer.deliver(content, [target(kind, allow=allow)], {"HOOK": url}.get)[0]


def test_bodies_for_generic_slack_and_teams(
    respx_mock: respx.MockRouter, deliverer: Deliverer, content: dict
) -> None:
    routes = {
        url: respx_mock.post(url).mock(return_value=httpx.Response(200))
        for url in (GENERIC_URL, SLACK_URL, TEAMS_URL)
    }
    for kind, url in (("generic", GENERIC_URL), ("slack", SLACK_URL), ("teams", TEAMS_URL)):
        result = deliver(deliverer, content, kind, url)
        assert result.ok and result.attempts == 1 and result.status == 200, result
    generic = json.loads(routes[GENERIC_URL].calls.last.request.content)
    assert generic["type"] == "poalign.report" and generic["id"] == content["id"]
    assert generic["report"]["summary"] == content["summary"] and generic["summary"]["decisions"] == 3
    assert routes[GENERIC_URL].calls.last.request.headers["content-type"] == "application/json"

    slack = json.loads(routes[SLACK_URL].calls.last.request.content)
    assert "3 PO pair(s) with decisions" in slack["text"]
    assert slack["blocks"][0]["type"] == "header" and slack["blocks"][0]["text"]["type"] == "plain_text"
    sections = [b["text"]["text"] for b in slack["blocks"] if b["type"] == "section"]
    assert any(s.startswith("*Alice Smith ↔ Bob Jones*") for s in sections)
    assert any("<https://acme.atlassian.net/browse/PAY-12|PAY-12>" in s for s in sections)
    assert all(len(s) <= 3000 for s in sections) and len(slack["blocks"]) <= 50

    teams = json.loads(routes[TEAMS_URL].calls.last.request.content)
    assert teams["type"] == "message"
    attachment = teams["attachments"][0]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.4"
    texts = [block.get("text", "") for block in card["body"]]
    assert any("Alice Smith ↔ Bob Jones" in t for t in texts)
    facts = {
        fact["title"]: fact["value"]
        for block in card["body"]
        if block["type"] == "FactSet"
        for fact in block["facts"]
    }
    assert facts["PO pairs with decisions"] == "3"


def test_bodies_link_the_report_only_over_http(content: dict) -> None:
    assert (
        slack_body(content, "https://poalign.example.com/dashboard/reports/1")["blocks"][-1]["type"]
        == "actions"
    )
    assert slack_body(content, "javascript:alert(1)")["blocks"][-1]["type"] != "actions"
    card = teams_body(content, "https://poalign.example.com/r/1")["attachments"][0]["content"]
    assert card["actions"][0]["url"] == "https://poalign.example.com/r/1"
    assert generic_body(content, None)["url"] is None


def test_retries_on_5xx_then_succeeds_with_exponential_backoff(
    respx_mock: respx.MockRouter, deliverer: Deliverer, sleeps: Sleeps, content: dict
) -> None:
    route = respx_mock.post(SLACK_URL).mock(
        side_effect=[httpx.Response(503), httpx.Response(502), httpx.Response(200)]
    )
    result = deliver(deliverer, content, "slack", SLACK_URL)
    assert result.ok and result.attempts == 3 and route.call_count == 3
    assert sleeps == [1.0, 2.0]


def test_retry_after_is_honoured_and_capped(
    respx_mock: respx.MockRouter, deliverer: Deliverer, sleeps: Sleeps, content: dict
) -> None:
    respx_mock.post(SLACK_URL).mock(
        side_effect=[
            httpx.Response(429, headers={"Retry-After": "7"}),
            httpx.Response(429, headers={"Retry-After": "3600"}),
            httpx.Response(204),
        ]
    )
    assert deliver(deliverer, content, "slack", SLACK_URL).ok
    assert sleeps == [7.0, 10.0]


def test_gives_up_after_the_bounded_attempts_and_timeouts_count(
    respx_mock: respx.MockRouter, deliverer: Deliverer, sleeps: Sleeps, content: dict
) -> None:
    respx_mock.post(GENERIC_URL).mock(
        side_effect=[
            httpx.ConnectTimeout("slow"),
            httpx.ReadTimeout("slow"),
            httpx.ConnectError("down"),
            httpx.Response(500),
        ]
    )
    result = deliver(deliverer, content, "generic", GENERIC_URL)
    assert not result.ok and result.attempts == 4 and result.status == 500
    assert "gave up after 4 attempts" in (result.error or "") and sleeps == [1.0, 2.0, 4.0]


def test_client_errors_are_final(
    respx_mock: respx.MockRouter, deliverer: Deliverer, sleeps: Sleeps, content: dict
) -> None:
    route = respx_mock.post(SLACK_URL).mock(return_value=httpx.Response(404, text="no_service"))
    result = deliver(deliverer, content, "slack", SLACK_URL)
    assert (result.ok, result.attempts, result.status, result.error) == (False, 1, 404, "HTTP 404")
    assert route.call_count == 1 and sleeps == []


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://127.0.0.1:8080/hook", "loopback"),
        ("http://localhost/hook", "loopback"),
        ("http://[::1]/hook", "loopback"),
        ("http://[::ffff:127.0.0.1]/hook", "loopback"),
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://metadata.example.com/latest", "link-local"),
        ("http://[fe80::1]/hook", "link-local"),
        ("http://10.0.0.5/hook", "private"),
        ("http://intranet.example.com/hook", "private"),
        ("http://mixed.example.com/hook", "private"),  # one public and one private address: refused
        ("http://[fd00::1]/hook", "private"),
        ("http://100.64.0.1/hook", "not a globally routable"),
        ("http://224.0.0.1/hook", "multicast"),
        ("http://0.0.0.0/hook", "unspecified"),
        ("ftp://files.example.com/report", "scheme 'ftp'"),
        ("file:///etc/passwd", "scheme 'file'"),
        ("javascript:alert(1)", "scheme 'javascript'"),
        ("gopher://example.com:70/", "scheme 'gopher'"),
        ("https:///no-host", "no host"),
    ],
)
@pytest.mark.respx(assert_all_called=False)
def test_private_targets_and_other_schemes_are_refused(
    respx_mock: respx.MockRouter, url: str, why: str, deliverer: Deliverer, content: dict
) -> None:
    catch_all = respx_mock.route().mock(return_value=httpx.Response(200))
    localhost = Deliverer(sleep=lambda s: None)  # the machine's own resolver for 'localhost'
    result = deliver(localhost if "localhost" in url else deliverer, content, "generic", url)
    assert not result.ok and result.attempts == 0 and why in (result.error or ""), result
    assert result.error and result.error.startswith("refused")
    assert not catch_all.called


def test_private_targets_are_allowed_when_configured(
    respx_mock: respx.MockRouter, deliverer: Deliverer, content: dict
) -> None:
    route = respx_mock.post("http://10.0.0.5/hook").mock(return_value=httpx.Response(200))
    assert deliver(deliverer, content, "generic", "http://10.0.0.5/hook", allow=True).ok and route.called
    # ... but the scheme rule still holds
    assert not deliver(deliverer, content, "generic", "file:///etc/passwd", allow=True).ok


@pytest.mark.respx(assert_all_called=False)
def test_redirects_are_checked_like_the_first_target(
    respx_mock: respx.MockRouter, deliverer: Deliverer, content: dict
) -> None:
    respx_mock.post(GENERIC_URL).mock(
        return_value=httpx.Response(307, headers={"Location": "http://169.254.169.254/latest"})
    )
    metadata = respx_mock.post("http://169.254.169.254/latest").mock(return_value=httpx.Response(200))
    result = deliver(deliverer, content, "generic", GENERIC_URL)
    assert not result.ok and "refused redirect" in (result.error or "") and not metadata.called

    respx_mock.post("https://a.example.com/hook").mock(
        return_value=httpx.Response(308, headers={"Location": "https://b.example.com/hook2"})
    )
    final = respx_mock.post("https://b.example.com/hook2").mock(return_value=httpx.Response(200))
    assert deliver(deliverer, content, "generic", "https://a.example.com/hook").ok and final.called

    respx_mock.post("https://c.example.com/hook").mock(
        return_value=httpx.Response(302, headers={"Location": "https://d.example.com/"})
    )
    moved = deliver(deliverer, content, "generic", "https://c.example.com/hook")
    assert not moved.ok and "configure the final URL" in (moved.error or "")

    respx_mock.post("https://loop.example.com/a").mock(
        return_value=httpx.Response(307, headers={"Location": "/a"})
    )
    assert "more than 3 redirects" in (
        deliver(deliverer, content, "generic", "https://loop.example.com/a").error or ""
    )


def test_a_missing_variable_is_a_failed_delivery(deliverer: Deliverer, content: dict) -> None:
    result = deliverer.deliver(content, [target("slack", "NOT_SET_ANYWHERE")], {}.get)[0]
    assert not result.ok and result.error == "environment variable NOT_SET_ANYWHERE is not set"


DELIVER_TO = """  deliver_to:
    - {kind: generic, url_env: POALIGN_TEST_HOOK_GENERIC}
    - {kind: slack, url_env: POALIGN_TEST_HOOK_SLACK}
    - {kind: teams, url_env: POALIGN_TEST_HOOK_TEAMS}
"""


@pytest.fixture
def delivering_runtime(store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Runtime]:
    monkeypatch.setenv("POALIGN_TEST_HOOK_GENERIC", GENERIC_URL)
    monkeypatch.setenv("POALIGN_TEST_HOOK_SLACK", SLACK_URL)
    monkeypatch.setenv("POALIGN_TEST_HOOK_TEAMS", TEAMS_URL)
    text = config_text().replace('  title: "PO sync"\n', '  title: "PO sync"\n' + DELIVER_TO)
    runtime = Runtime.open(parse_config(text, tmp_path / "poalign.yaml"), url=store_url, process="test")
    yield runtime
    runtime.close()


def test_the_job_builds_stores_and_delivers_without_logging_url_secrets(
    respx_mock: respx.MockRouter, delivering_runtime: Runtime, sleeps: Sleeps
) -> None:
    stream = io.StringIO()
    logs.configure(level="DEBUG", json=False, stream=stream)  # the assertions read key=value
    for noisy in ("httpx", "httpcore"):  # at their chattiest: httpx logs every request URL at INFO
        logging.getLogger(noisy).setLevel(logging.DEBUG)
    try:
        World(delivering_runtime.factory, delivering_runtime.loaded).fill().evaluate()
        respx_mock.post(GENERIC_URL).mock(side_effect=[httpx.Response(500), httpx.Response(200)])
        respx_mock.post(SLACK_URL).mock(return_value=httpx.Response(200, text="ok"))
        respx_mock.post(TEAMS_URL).mock(side_effect=httpx.ConnectError("refused by " + TEAMS_URL))
        deliverer = Deliverer(attempts=2, sleep=sleeps, resolver=public_resolver)
        report = run_report_job(delivering_runtime, deliverer=deliverer)
    finally:
        logs.configure(level="WARNING")
    assert report.id is not None and report.content["summary"]["decisions"] == 3
    output = stream.getvalue()
    assert "report.delivery" in output and "report.created" in output
    assert "hooks.slack.com" in output and "generic:POALIGN_TEST_HOOK_GENERIC" in output
    for secret in SECRETS:
        assert secret not in output, f"{secret} leaked into the logs"
    assert "delivered=2" in output and "failed=1" in output
