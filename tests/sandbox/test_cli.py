"""`poalign sandbox import` and `poalign sandbox serve --config-out` as a user runs them."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests
import yaml
from typer.testing import CliRunner

from sandbox import World
from sandbox.config_out import build_config
from sandbox.testing import small_world
from service.cli.main import app
from service.config.loader import load_config

from .conftest import SAMPLES


def test_import_lays_out_the_vendor_samples(tmp_path: Path) -> None:
    out = tmp_path / "world"
    r = CliRunner().invoke(app, ["sandbox", "import", "--from", str(SAMPLES), "--to", str(out)])
    assert r.exit_code == 0, r.output
    assert "jira tidev: 559 issues, 858 links, 5 projects" in r.output
    assert "ado  suraj-ecanarys: 205 work items" in r.output
    assert "jira/issues/tidev-jira-archive/data/TIMOB/project.json" in (out / "SOURCES.md").read_text()
    assert World.load(out).counts()["jira"]["tidev"]["issues"] == 559
    again = CliRunner().invoke(app, ["sandbox", "import", "--from", str(SAMPLES), "--to", str(out)])
    assert again.exit_code == 2 and "not empty" in again.output


def _siblings(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_a_failed_import_leaves_nothing_and_names_the_input_at_fault(tmp_path: Path) -> None:
    demo = Path(__file__).resolve().parents[2] / "sandbox" / "worlds" / "demo"
    # a folder in world layout already: the --from folder is at fault, not --to
    out = tmp_path / "out" / "world"
    r = CliRunner().invoke(
        app, ["sandbox", "import", "--from", str(demo), "--to", str(out)], terminal_width=400
    )
    assert r.exit_code == 2, r.output
    assert f"{demo}: holds no vendor samples" in r.output and "world layout already" in r.output
    assert f"poalign sandbox serve --world {demo}" in r.output
    assert not out.exists() and _siblings(out.parent) == []
    # a sample file the world cannot read: that file is named, and an empty --to that was there stays empty
    samples = tmp_path / "samples"
    archive = samples / "jira" / "issues" / "tidev-jira-archive" / "data" / "DAEMON"
    archive.mkdir(parents=True)
    good = SAMPLES / "jira" / "issues" / "tidev-jira-archive" / "data" / "DAEMON" / "1-999" / "DAEMON-16.json"
    (archive / "DAEMON-16.json").write_bytes(good.read_bytes())
    (archive / "DAEMON-17.json").write_text('{"key": "DAEMON-17", "fields": {"summary": ', encoding="utf-8")
    out.mkdir()
    r = CliRunner().invoke(
        app, ["sandbox", "import", "--from", str(samples), "--to", str(out)], terminal_width=400
    )
    assert r.exit_code == 2, r.output
    assert str(archive / "DAEMON-17.json") in r.output, r.output
    assert out.is_dir() and _siblings(out) == [] and _siblings(out.parent) == ["world"]


def test_serve_prints_urls_and_writes_a_config_poalign_accepts(tmp_path: Path) -> None:
    world = tmp_path / "world"
    small_world().export(world)
    cfg = tmp_path / "cfg" / "poalign.yaml"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from service.cli.main import app; app()",
            "sandbox",
            "serve",
            "--world",
            str(world),
            "--config-out",
            str(cfg),
            "--jira-mode",
            "datacenter",
            "--latency-ms",
            "1",
            "--webhook-url",
            "http://127.0.0.1:9/webhooks/{kind}/{source}",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    lines: list[str] = []
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = proc.stdout.readline()  # type: ignore[union-attr]  # stdout=PIPE above
            if not line:
                break
            lines.append(line)
            if line.startswith("ready"):
                break
        assert lines and lines[-1].startswith("ready"), "".join(lines)
        jira_line = next(x for x in lines if x.startswith("jira  acme"))
        url = jira_line.split()[2]
        assert "(datacenter, source jira-acme)" in jira_line
        r = requests.get(f"{url}/rest/api/2/serverInfo", timeout=5)
        assert r.json()["deploymentType"] == "Server"
        loaded = load_config(cfg)
        names = [s.name for s in loaded.config.sources]
        assert names == ["jira-acme", "jira-globex", "ado-contoso"]
        acme = loaded.config.source("jira-acme")
        assert acme.deployment == "datacenter" and acme.auth.scheme == "bearer"
        assert acme.aliases == ["https://acme.atlassian.net"]
        assert "https://dev.azure.com/contoso" in loaded.config.source("ado-contoso").aliases
        teams = {t.name: t for t in loaded.config.teams}
        assert teams["Pay team"].scope.project == "PAY" and teams["Pay team"].product_owner == "Pay PO"
        north = teams["Project A Team North"]
        assert north.scope.area_path == "Project A\\Project A Team North" and north.scope.team == north.name
        assert teams["Project A Team"].scope.area_path is None  # the default team owns the rest
        text = cfg.read_text()
        assert "sandbox-token" not in text  # only variable names in the YAML
        dotenv = (cfg.parent / ".env").read_text()
        assert "POALIGN_JIRA_ACME_TOKEN=sandbox-token" in dotenv
        assert loaded.secret(acme.auth.token_env) == "sandbox-token"
        assert oct((cfg.parent / ".env").stat().st_mode)[-3:] == "600"
        assert "POALIGN_API_TOKEN=" in dotenv  # so that `poalign serve` on this config starts as it is
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
    assert proc.returncode == 0


def test_world_poalign_yaml_wins_for_teams_and_keeps_its_aliases(tmp_path: Path) -> None:
    world = small_world()
    world.poalign = {
        "chief_product_owner": "Dana Chief",
        "sources": [{"name": "jira-payments", "kind": "jira", "aliases": ["https://acme.atlassian.net"]}],
        "teams": [
            {
                "name": "Payments",
                "product_owner": "Alice Smith",
                "source": "jira-payments",
                "scope": {"project": "PAY"},
            }
        ],
        "policy": {"planning_horizon_days": 60},
    }
    cfg, env = build_config(
        world,
        {"acme": "http://127.0.0.1:1/acme", "globex": "http://127.0.0.1:1/globex"},
        {"contoso": "http://127.0.0.1:2/contoso"},
        {"acme": "cloud", "globex": "datacenter"},
        token="t",
        webhook_secret="w",
        ado_webhook_user="u",
        ado_webhook_password="p",
    )
    assert [s["name"] for s in cfg["sources"]] == ["jira-payments", "jira-globex", "ado-contoso"]
    assert cfg["teams"] == world.poalign["teams"] and cfg["chief_product_owner"] == "Dana Chief"
    assert cfg["policy"] == {"planning_horizon_days": 60}
    assert env["POALIGN_JIRA_PAYMENTS_USER"] and env["POALIGN_JIRA_PAYMENTS_WEBHOOK_SECRET"] == "w"
    path = tmp_path / "poalign.yaml"
    path.write_text(yaml.safe_dump(cfg))
    assert load_config(path).config.teams[0].name == "Payments"


def test_serve_auth_modern_then_db_upgrade_and_two_syncs_past_the_token_lifetime(tmp_path: Path) -> None:
    """The acceptance path of issue 15 as a user types it: `sandbox serve --auth modern --config-out`,
    `db upgrade`, `sync`, wait past the token lifetime, `sync` again; both complete."""
    world = tmp_path / "world"
    small_world().export(world)
    cfg = tmp_path / "cfg" / "poalign.yaml"
    poalign = [sys.executable, "-c", "from service.cli.main import app; app()"]
    serve = [*poalign, "sandbox", "serve", "--world", str(world), "--config-out", str(cfg)]
    proc = subprocess.Popen(
        [*serve, "--auth", "modern", "--token-lifetime", "2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    lines: list[str] = []
    try:
        while line := proc.stdout.readline():  # type: ignore[union-attr]  # stdout=PIPE above
            lines.append(line)
            if line.startswith("ready"):
                break
        assert lines and lines[-1].startswith("ready"), "".join(lines)
        assert any(x.startswith("entra https://127.0.0.1:") for x in lines), "".join(lines)
        ado = load_config(cfg).config.source("ado-contoso")
        assert ado.auth.scheme == "entra" and ado.auth.authority_host.startswith("https://127.0.0.1:")
        run = {"cwd": tmp_path, "capture_output": True, "text": True, "timeout": 120}
        upgrade = subprocess.run([*poalign, "db", "upgrade", "--config", str(cfg)], **run)  # type: ignore[call-overload]
        assert upgrade.returncode == 0, upgrade.stdout + upgrade.stderr
        for attempt in (1, 2):
            synced = subprocess.run([*poalign, "sync", "--json", "--config", str(cfg)], **run)  # type: ignore[call-overload]
            assert synced.returncode == 0, synced.stdout + synced.stderr
            ado_run = {s["name"]: s for s in json.loads(synced.stdout)["sources"]}["ado-contoso"]
            assert ado_run["status"] == "ok" and ado_run["requests"] > 0, attempt
            assert ado_run["items"] > 0 or attempt == 2  # the second sync is incremental: nothing new
            time.sleep(2.5)  # past the token lifetime
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
    assert proc.returncode == 0
