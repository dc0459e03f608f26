"""No secret leaves poalign: not in a log line at DEBUG, a report, a comment, a stored row or an HTTP
response, on the happy path or on the error paths.

One run does the whole job for real against the sandbox trackers, with distinctive values in every
environment variable the config names: the CLI (sync, check, annotate, report in three formats) at
DEBUG, report delivery to chat webhooks (respx, the only mock: Slack is not reachable from here) with
httpx at its chattiest, `poalign serve` taking the sandbox's real webhooks and writing comments,
webhooks with wrong and misused credentials, the REST API and dashboard with and without the token,
tracker authentication failing (wrong token), and a PostgreSQL DSN with a password that cannot
connect. Then everything produced is searched for each secret in every form (see scan.py).
"""

from __future__ import annotations

import base64
import io
import logging
import os
import socket
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx
import yaml
from sqlalchemy import select

from connectors.jira.webhook import sign
from sandbox import SandboxServer, World
from sandbox.config_out import write_config
from service import logs
from service.config.loader import LoadedConfig, load_config
from service.demo import DEPENDENT, PREREQUISITE, demo_world_dir
from service.ingest import sync_all
from service.reports.delivery import Deliverer
from service.reports.job import run_report_job
from service.runtime import Runtime
from service.store.models import Iteration, Source, WorkItem
from service.store.session import make_engine
from testkit.net import free_port, wait_until
from testkit.readback import comments_by_marker
from tests.security.scan import Scanner, needles

POALIGN = str(Path(sys.executable).parent / "poalign")

TRACKER_TOKEN = "trkTok-H7q2Xw9Lm4Zp"  # the sandbox accepts it for Jira (basic, with the user) and ADO
WRONG_TOKEN = "badTok-V3n8Qs1Ke6Rt"  # what the failing runs put in the same variables
JIRA_HOOK = "jhook-K2m9Wq5Zx8Lc4"
ADO_HOOK_PASSWORD = "adopw-R4t7Yb2Nv6Gs"
API_TOKEN = "apiTok-P9k3Hd6Lw1Qx"
SLACK_SECRET = "slackPath-M5j8Fv2Tq7Kd"
GENERIC_SECRET = "genQuery-W2c6Jn9Pb3Rf"
DB_PASSWORD = "pgPass-Z6r1Wn4Hc9Jb"
SLACK_URL = f"https://hooks.slack.com/services/T0SEC/B0SEC/{SLACK_SECRET}"
GENERIC_URL = f"https://alerts.example.com/hooks/poalign?token={GENERIC_SECRET}"
HOOK_USER = "hookuser-sec"
JIRA_USER = "sec-bot@example.com"
PUBLIC = "93.184.215.14"
# Variables a config names that are identities, not secrets: they show up as comment authors.
IDENTITIES = {"POALIGN_JIRA_ACME_USER", "POALIGN_ADO_CONTOSO_WEBHOOK_USER"}


def public_resolver(host: str, port: int, *args: Any) -> list[tuple[Any, ...]]:
    return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (PUBLIC, port))]


@dataclass
class Run:
    scanner: Scanner
    facts: Counter[str]
    secrets: dict[str, str]


def values_for(loaded: LoadedConfig) -> dict[str, str]:
    """A distinctive value for every variable the config names, by what the variable is for."""
    values: dict[str, str] = {}
    for name in loaded.secret_env_names():
        if name.endswith("_WEBHOOK_USER"):
            values[name] = HOOK_USER
        elif name.endswith("_USER"):
            values[name] = JIRA_USER
        elif name.endswith("_WEBHOOK_SECRET"):
            values[name] = JIRA_HOOK
        elif name.endswith("_WEBHOOK_PASSWORD"):
            values[name] = ADO_HOOK_PASSWORD
        elif name.endswith("_TOKEN") and name != "POALIGN_API_TOKEN":
            values[name] = TRACKER_TOKEN
        elif name == "POALIGN_API_TOKEN":
            values[name] = API_TOKEN
        elif name == "POALIGN_SEC_SLACK_URL":
            values[name] = SLACK_URL
        elif name == "POALIGN_SEC_GENERIC_URL":
            values[name] = GENERIC_URL
    unknown = set(loaded.secret_env_names()) - set(values)
    assert not unknown, f"give these variables a distinctive value: {unknown}"
    return values


class Cli:
    def __init__(self, scanner: Scanner, facts: Counter[str], base_env: dict[str, str]) -> None:
        self.scanner, self.facts, self.base_env = scanner, facts, base_env

    def __call__(
        self, label: str, *args: str, env: dict[str, str] | None = None, timeout: float = 120
    ) -> Any:
        environment = {**self.base_env, **(env or {})}
        result = subprocess.run(
            [POALIGN, *args], capture_output=True, text=True, env=environment, timeout=timeout, check=False
        )
        self.scanner.scan(f"cli {label} stdout", result.stdout)
        self.scanner.scan(f"cli {label} stderr", result.stderr)
        self.facts["cli_runs"] += 1
        return result


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    directory = tmp_path_factory.mktemp("secrets")
    port = free_port()
    facts: Counter[str] = Counter()
    sandbox = SandboxServer(
        World.load(demo_world_dir()),
        token=TRACKER_TOKEN,
        webhook_secret=JIRA_HOOK,
        ado_webhook_user=HOOK_USER,
        ado_webhook_password=ADO_HOOK_PASSWORD,
        webhook_urls=[f"http://127.0.0.1:{port}/webhooks/{{kind}}/{{source}}"],
        webhook_retry_delays=(),  # deliveries made before serve is up are dropped, not queued
    ).start()
    try:
        yield _produce(directory, sandbox, port, facts)
    finally:
        sandbox.stop()


def _produce(directory: Path, sandbox: SandboxServer, port: int, facts: Counter[str]) -> Run:
    config_path, env_file = write_config(
        sandbox, directory / "poalign.yaml", database_url="sqlite:///poalign.db"
    )
    env_file.unlink()  # every value comes from the environment below, none from a file
    data = yaml.safe_load(config_path.read_text())
    data["writeback"] = {"enabled": True}
    data["schedule"] = {"inbox_drain_seconds": 1}
    data["reports"] = {
        "deliver_to": [
            {"kind": "slack", "url_env": "POALIGN_SEC_SLACK_URL"},
            {"kind": "generic", "url_env": "POALIGN_SEC_GENERIC_URL"},
        ]
    }
    config_path.write_text(yaml.safe_dump(data, sort_keys=False))
    loaded = load_config(config_path)
    values = values_for(loaded)
    secrets = {name: value for name, value in values.items() if name not in IDENTITIES} | {
        "wrong tracker token": WRONG_TOKEN,
        "DSN password": DB_PASSWORD,
    }
    scanner = Scanner(secrets)
    base_env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("POALIGN_")},
        **values,
        "POALIGN_LOG_LEVEL": "DEBUG",
    }
    cli = Cli(scanner, facts, base_env)
    config = ("--config", str(config_path))
    wrong = {name: WRONG_TOKEN for name in values if name.endswith("_TOKEN") and name != "POALIGN_API_TOKEN"}

    # -- the CLI, happy path, at DEBUG --------------------------------------------------------------
    assert cli("config validate", "config", "validate", *config).returncode == 0
    assert cli("db upgrade", "db", "upgrade", *config).returncode == 0
    synced = cli("sync", "sync", "--json", *config)
    assert synced.returncode == 0, synced.stderr
    cli("check json", "check", "--format", "json", *config)
    cli("check text", "check", *config)
    annotated = cli("annotate", "annotate", *config)
    assert annotated.returncode == 0, annotated.stderr
    facts["comments_after_annotate"] = sum(comments_by_marker(sandbox).values())
    for form in ("html", "md", "json"):
        out = directory / f"report.{form}"
        assert cli(f"report {form}", "report", "--format", form, "--out", str(out), *config).returncode == 0
        scanner.scan(f"file report.{form}", out.read_bytes())
    cli("report to stdout", "report", "--format", "md", *config)

    # -- tracker authentication fails: the error paths log ------------------------------------------
    failed = cli("sync wrong token", "sync", "--full", "--json", *config, env=wrong)
    assert failed.returncode == 1, failed.stdout
    facts["failed_syncs"] += 1
    cli("scheduler sync wrong token", "scheduler", "--eager", "sync", *config, env=wrong)
    cli("scheduler annotate wrong token", "scheduler", "--eager", "annotate", *config, env=wrong)

    # -- a PostgreSQL DSN with a password, on a port where nothing listens ---------------------------
    dsn_dir = directory / "dsn"
    dsn_dir.mkdir()
    dsn_data = dict(data, database={"url_env": "POALIGN_SEC_DSN"})
    (dsn_dir / "poalign.yaml").write_text(yaml.safe_dump(dsn_data, sort_keys=False))
    dsn = {"POALIGN_SEC_DSN": f"postgresql+psycopg://poalign:{DB_PASSWORD}@127.0.0.1:{free_port()}/poalign"}
    dsn_config = ("--config", str(dsn_dir / "poalign.yaml"))
    for label, args in (
        ("dsn db upgrade", ("db", "upgrade")),
        ("dsn sync", ("sync",)),
        ("dsn check", ("check",)),
        ("dsn report", ("report", "--format", "md")),
        ("dsn serve", ("serve", "--port", str(free_port()), "--no-scheduler")),
        ("dsn scheduler", ("scheduler", "--eager", "sync")),
    ):
        result = cli(label, *args, *dsn_config, env=dsn, timeout=60)
        assert result.returncode == 2, f"{label} should fail without its database: {result.stderr[-500:]}"
        # one clear line, not a traceback (whose frames could show more than a message does)
        assert "cannot reach the database" in result.stderr and "Traceback" not in result.stderr, (
            result.stderr
        )
        facts["dsn_failures"] += 1

    # -- report delivery to chat webhooks, in process (respx), httpx and httpcore at DEBUG -----------
    _deliver_in_process(loaded, values, scanner, facts)

    # -- poalign serve: real webhooks from the sandbox, hostile ones from us, the API, the dashboard --
    _serve(config_path, directory, port, sandbox, cli, scanner, facts)

    # -- what is left behind ------------------------------------------------------------------------
    engine = make_engine(loaded.database_url())
    try:
        facts["store_rows"] = scanner.scan_store(engine)
    finally:
        engine.dispose()
    world_dump = directory / "world-after"
    sandbox.export(str(world_dump))
    scanner.scan_tree("sandbox ", world_dump)
    facts["sandbox_files_with_our_comments"] = sum(
        1 for path in world_dump.rglob("*.json") if "[poalign:" in path.read_text(errors="replace")
    )
    scanner.scan_files("config dir ", [config_path, dsn_dir / "poalign.yaml"])
    return Run(scanner, facts, secrets)


def _deliver_in_process(
    loaded: LoadedConfig, values: dict[str, str], scanner: Scanner, facts: Counter[str]
) -> None:
    stream = io.StringIO()
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    logs.configure(level="DEBUG", stream=stream)
    noisy = ("httpx", "httpcore", "urllib3", "jira", "msrest", "azure")
    for name in noisy:
        logging.getLogger(name).setLevel(logging.DEBUG)
    runtime = Runtime.open(loaded, process="test")
    try:
        with respx.mock(assert_all_called=False) as router:
            slack = router.post(SLACK_URL).mock(
                side_effect=[httpx.Response(500, text="oops"), httpx.Response(200)]
            )
            generic = router.post(GENERIC_URL).mock(
                side_effect=httpx.ConnectError(f"cannot reach {GENERIC_URL}")
            )
            report = run_report_job(
                runtime, deliverer=Deliverer(attempts=2, sleep=lambda s: None, resolver=public_resolver)
            )
            for route, label in ((slack, "slack"), (generic, "generic")):
                for number, call in enumerate(route.calls):
                    request = call.request  # its URL is the secret's one place; what we sent is not
                    headers = "\n".join(f"{k}: {v}" for k, v in request.headers.items())
                    scanner.scan(f"delivered {label} #{number}", f"{headers}\n\n{request.content.decode()}")
            facts["deliveries_attempted"] = slack.call_count + generic.call_count
        scanner.scan("stored report (delivery run)", str(report.content))
        # a sync at DEBUG with every library logger on, failing authentication: the redaction filter
        # has to catch whatever urllib3, jira and msrest print
        os.environ.update(
            {n: WRONG_TOKEN for n in values if n.endswith("_TOKEN") and n != "POALIGN_API_TOKEN"}
        )
        for name in noisy:
            logging.getLogger(name).setLevel(logging.DEBUG)
        results = sync_all(runtime.factory, loaded)
        facts["in_process_failed_syncs"] = sum(1 for r in results if r.status != "ok")
    finally:
        runtime.close()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        logs.configure(level="WARNING")
    scanner.scan("in-process log (delivery and failing sync at DEBUG)", stream.getvalue())
    facts["in_process_log_lines"] = stream.getvalue().count("\n")


def _serve(
    config_path: Path,
    directory: Path,
    port: int,
    sandbox: SandboxServer,
    cli: Cli,
    scanner: Scanner,
    facts: Counter[str],
) -> None:
    log_path = directory / "serve.log"
    with log_path.open("wb") as out:
        process = subprocess.Popen(
            [POALIGN, "serve", "--config", str(config_path), "--port", str(port), "--no-scheduler"],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=cli.base_env,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=base, timeout=10) as client:
            assert wait_until(lambda: _healthy(client), 30), log_path.read_text()[-2000:]
            _webhooks(client, scanner, facts)
            _tracker_change(sandbox, config_path, facts, log_path)
            _api(client, scanner, facts)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    scanner.scan("serve log", log_path.read_bytes())
    facts["serve_log_lines"] = log_path.read_text(errors="replace").count("\n")


def _healthy(client: httpx.Client) -> bool:
    try:
        return client.get("/healthz").status_code == 200
    except httpx.HTTPError:
        return False


def _webhooks(client: httpx.Client, scanner: Scanner, facts: Counter[str]) -> None:
    body = b'{"webhookEvent": "jira:issue_updated", "timestamp": 1, "issue": {"id": "1", "key": "PAY-1"}}'

    def basic(user: str, password: str) -> str:
        return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()

    attempts = {
        "jira unsigned": ("/webhooks/jira/jira-acme", {}),
        "jira wrong secret": ("/webhooks/jira/jira-acme", {"X-Hub-Signature": sign("not-the-secret", body)}),
        # a misconfigured sender putting the secret itself where the HMAC belongs
        "jira raw secret as signature": (
            "/webhooks/jira/jira-acme",
            {"X-Hub-Signature": f"sha256={JIRA_HOOK}"},
        ),
        "jira secret as a bearer": ("/webhooks/jira/jira-acme", {"Authorization": f"Bearer {JIRA_HOOK}"}),
        "ado no auth": ("/webhooks/azure-devops/ado-contoso", {}),
        "ado wrong password": (
            "/webhooks/azure-devops/ado-contoso",
            {"Authorization": basic(HOOK_USER, "nope")},
        ),
        "ado right password wrong user": (
            "/webhooks/azure-devops/ado-contoso",
            {"Authorization": basic("intruder", ADO_HOOK_PASSWORD)},
        ),
        "ado api token as password": (
            "/webhooks/azure-devops/ado-contoso",
            {"Authorization": basic(HOOK_USER, API_TOKEN)},
        ),
        "ado tracker token in a header": (
            "/webhooks/azure-devops/ado-contoso",
            {"X-Poalign-Secret": TRACKER_TOKEN},
        ),
        "unknown source": ("/webhooks/jira/nope", {"X-Hub-Signature": sign(JIRA_HOOK, body)}),
    }
    for label, (path, headers) in attempts.items():
        response = client.post(path, content=body, headers={"Content-Type": "application/json", **headers})
        assert response.status_code in (401, 404), (label, response.status_code, response.text)
        scanner.scan_response(f"webhook {label}", response)
        facts["webhooks_refused"] += 1
    big = client.post(
        "/webhooks/jira/jira-acme",
        content=b" " * 1_000_001,
        headers={"X-Hub-Signature": f"sha256={JIRA_HOOK}"},
    )
    assert big.status_code == 413
    scanner.scan_response("webhook oversized", big)


def _tracker_change(sandbox: SandboxServer, config_path: Path, facts: Counter[str], log_path: Path) -> None:
    """Fulfilment moves 5153 after SHOP-18's sprint: the sandbox's signed webhooks reach serve, whose
    worker re-reads, judges and comments (the same change `poalign demo` makes)."""
    loaded = load_config(config_path)
    engine = make_engine(loaded.database_url())
    try:
        with engine.connect() as connection:
            finish = connection.scalar(
                select(Iteration.finish_date)
                .join(WorkItem, WorkItem.iteration_id == Iteration.id)
                .join(Source, Source.id == WorkItem.source_id)
                .where(Source.name == DEPENDENT[0], WorkItem.key == DEPENDENT[1])
            )
    finally:
        engine.dispose()
    project = next(iter(sandbox.world.ado["contoso"].projects.values()))
    stack, later = [project.iterations], []
    while stack:
        node = stack.pop()
        stack.extend(node.children or [])
        if node.finish is not None and finish is not None and node.finish.date() > finish:
            later.append((node.finish, node.path))
    assert later, "the demo world has no iteration after SHOP-18's sprint"
    assert sandbox.wait_for_webhooks(), "the sandbox still has deliveries queued"
    before = sum(comments_by_marker(sandbox).values())
    sandbox.ado("contoso").update(int(PREREQUISITE[1]), iteration=sorted(later)[0][1])
    assert wait_until(lambda: sum(comments_by_marker(sandbox).values()) > before, 30), (
        "no comment came; poalign serve said:\n" + log_path.read_text(errors="replace")[-4000:]
    )
    sandbox.wait_for_webhooks()
    facts["comments_from_webhooks"] = sum(comments_by_marker(sandbox).values()) - before


def _api(client: httpx.Client, scanner: Scanner, facts: Counter[str]) -> None:
    token = {"Authorization": f"Bearer {API_TOKEN}"}
    wrong = {"Authorization": f"Bearer {API_TOKEN[:-1]}"}
    calls: list[tuple[str, str, dict[str, str]]] = []
    for path in ("/healthz", "/readyz", "/metrics", "/openapi.json", "/docs", "/login"):
        calls.append(("GET", path, {}))
    for path in ("/api/findings", "/api/items", "/api/teams", "/api/syncs", "/api/reports", "/dashboard"):
        calls += [("GET", path, {}), ("GET", path, wrong), ("GET", path, token)]
    calls.append(("POST", "/api/syncs", token))
    calls.append(("POST", "/api/reports?deliver=true", token))  # delivery from serve: refused, logged
    for method, path, headers in calls:
        response = client.request(method, path, headers=headers)
        scanner.scan_response(
            f"{method} {path} ({'token' if headers == token else 'wrong' if headers else 'none'})", response
        )
        assert response.status_code < 500, (method, path, response.status_code)
        facts["api_calls"] += 1
    reports = client.get("/api/reports", headers=token).json()["reports"]
    for entry in reports[:2]:
        for suffix in ("", "/html", "/markdown"):
            response = client.get(f"/api/reports/{entry['id']}{suffix}", headers=token)
            scanner.scan_response(f"GET /api/reports/{entry['id']}{suffix}", response)
    findings = client.get("/api/findings", headers=token).json()["items"]
    if findings:
        fingerprint = findings[0]["fingerprint"]
        scanner.scan_response("GET one finding", client.get(f"/api/findings/{fingerprint}", headers=token))
    # the dashboard login: a wrong token, then the right one (its Set-Cookie is scanned too)
    form = {"content-type": "application/x-www-form-urlencoded"}
    for given in ("not-it", API_TOKEN):
        response = client.post("/login", content=f"token={given}&next=/dashboard", headers=form)
        scanner.scan_response(f"POST /login ({'right' if given == API_TOKEN else 'wrong'})", response)
    for page in ("/dashboard", "/dashboard/findings", "/dashboard/graph", "/dashboard/reports"):
        response = client.get(page)  # with the session cookie the login set
        assert response.status_code == 200, page
        scanner.scan_response(f"GET {page} (session)", response)
    assert wait_until(
        lambda: client.get("/api/syncs", headers=token).json()["runs"][0]["status"] != "running", 30
    )


# -- the checks ---------------------------------------------------------------------------------------


def test_no_secret_in_any_log_report_comment_row_or_response(run: Run, figures: Counter[str]) -> None:
    scanner = run.scanner
    figures["secrets_checked"] = len(run.secrets)
    figures["secret_forms_checked"] = sum(len(set(needles(v).values())) for v in run.secrets.values())
    figures["artifacts_scanned"] = len(scanner.artifacts)
    figures["bytes_scanned"] = scanner.scanned_bytes
    figures["secret_hits"] = len(scanner.hits)
    assert scanner.hits == [], f"{len(scanner.hits)} secret(s) found:\n{scanner.report()}"


def test_the_run_went_down_the_paths_it_claims(run: Run) -> None:
    """Guard against a run that checked nothing: each path produced what it should."""
    facts, artifacts = run.facts, set(run.scanner.artifacts)
    assert facts["comments_after_annotate"] >= 20  # the demo world's findings became comments
    assert facts["comments_from_webhooks"] >= 1  # the sandbox's webhooks reached serve's worker
    assert facts["failed_syncs"] == 1 and facts["in_process_failed_syncs"] == 2  # both trackers said 401
    assert facts["dsn_failures"] == 6
    assert facts["deliveries_attempted"] >= 3  # slack 500 then 200, generic connection error x2
    assert facts["webhooks_refused"] == 10 and facts["api_calls"] >= 25
    assert facts["in_process_log_lines"] > 10 and facts["serve_log_lines"] > 5
    assert facts["store_rows"] > 200
    assert facts["sandbox_files_with_our_comments"] >= 20  # the comments were in what was searched
    assert {"file report.html", "file report.md", "file report.json", "serve log"} <= artifacts
    assert any(a.startswith("sandbox ") for a in artifacts) and any(a.startswith("store ") for a in artifacts)
    assert len(artifacts) > 100


def test_the_search_finds_a_secret_in_each_form(run: Run) -> None:
    """The scanner is not blind: each secret planted the ways it could leak is found."""
    for name, value in run.secrets.items():
        probe = Scanner({name: value})
        probe.scan("plain", f"error: token={value} rejected")
        probe.scan("url", "GET /x?t=" + value.replace("-", "%2D"))  # not how quote() writes it: no hit
        for prefix in ("", "u", "us", "user@example.com:"):
            header = base64.b64encode(f"{prefix}{value}".encode()).decode()
            probe.scan(f"basic {prefix!r}", f"Authorization: Basic {header}")
        found = {hit.artifact for hit in probe.hits}
        assert found >= {"plain", "basic ''", "basic 'u'", "basic 'us'", "basic 'user@example.com:'"}, (
            name,
            found,
        )
