"""POALIGN_LOG_FORMAT: every line a real `poalign db upgrade` and `poalign serve` log (ours, Alembic's,
uvicorn's) comes in the one format asked for, with secrets redacted."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from service import logs
from testkit.net import free_port, wait_until

POALIGN = str(Path(sys.executable).parent / "poalign")
SECRET = "tok-0ps-redact-me-4711"  # the API token: registered as a secret when the config loads


def _config(directory: Path) -> Path:
    path = directory / "poalign.yaml"
    path.write_text(
        "database:\n  url: sqlite:///poalign.db\napi:\n  token_env: OPS_TEST_API_TOKEN\nsources: []\nteams: []\n"
    )
    return path


def _env(log_format: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("POALIGN_", "OTEL_"))}
    env.update(POALIGN_LOG_LEVEL="INFO", OPS_TEST_API_TOKEN=SECRET)
    if log_format is not None:
        env["POALIGN_LOG_FORMAT"] = log_format
    return env


def _db_upgrade(directory: Path, log_format: str | None) -> tuple[str, str]:
    result = subprocess.run(
        [POALIGN, "db", "upgrade", "--config", str(_config(directory))],
        capture_output=True,
        text=True,
        env=_env(log_format),
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout, result.stderr


def _serve_one_request(directory: Path, log_format: str) -> tuple[str, str]:
    """`poalign serve` (migrating a new store first), one request whose URL carries the secret, stopped."""
    port = free_port()
    out, err = directory / "serve.out", directory / "serve.err"
    with out.open("w") as stdout, err.open("w") as stderr:
        process = subprocess.Popen(
            [POALIGN, "serve", "--config", str(_config(directory)), "--port", str(port), "--no-scheduler"],
            stdout=stdout,
            stderr=stderr,
            env=_env(log_format),
            cwd=directory,
        )
        try:
            assert wait_until(lambda: _healthy(port), timeout=60), err.read_text()
            assert httpx.get(f"http://127.0.0.1:{port}/healthz", params={"token": SECRET}).status_code == 200
        finally:
            process.terminate()
            process.wait(timeout=30)
    return out.read_text(), err.read_text()


def _healthy(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def _json_lines(text: str) -> list[dict]:
    lines = [line for line in text.splitlines() if line.strip()]
    parsed = []
    for line in lines:
        record = json.loads(line)  # every line, or this raises naming it
        assert {"level", "event", "logger", "timestamp"} <= record.keys(), line
        parsed.append(record)
    return parsed


def _is_json(line: str) -> bool:
    try:
        json.loads(line)
    except ValueError:
        return False
    return True


@pytest.mark.slow
def test_json_format_covers_alembic_uvicorn_and_ours(tmp_path: Path) -> None:
    (tmp_path / "upgrade").mkdir()
    stdout, stderr = _db_upgrade(tmp_path / "upgrade", "json")
    records = _json_lines(stderr)
    assert any(
        r["logger"] == "alembic.runtime.migration" and "Running upgrade" in r["event"] for r in records
    )
    assert stdout.startswith("database at revision") and "alembic" not in stdout

    (tmp_path / "serve").mkdir()
    stdout, stderr = _serve_one_request(tmp_path / "serve", "json")
    records = _json_lines(stderr)
    loggers = {r["logger"] for r in records}
    assert {"alembic.runtime.migration", "uvicorn.error", "uvicorn.access", "service.evaluate"} <= loggers
    access = [r["event"] for r in records if r["logger"] == "uvicorn.access"]
    assert any("GET /healthz?token=*** HTTP/1.1" in line for line in access), access
    assert SECRET not in stdout + stderr
    # stdout is the command's own word (what the migration on start did, where it serves), no log line
    said = stdout.splitlines()
    assert [line.split(" ")[0] for line in said] == ["database", "poalign"], said
    assert said[0].startswith("database at revision") and "poalign serving on" in said[1]


@pytest.mark.slow
def test_console_format_has_no_json_line(tmp_path: Path) -> None:
    (tmp_path / "upgrade").mkdir()
    _, stderr = _db_upgrade(tmp_path / "upgrade", "console")
    assert "[alembic.runtime.migration]" in stderr and "Running upgrade" in stderr
    assert not any(_is_json(line) for line in stderr.splitlines())

    (tmp_path / "serve").mkdir()
    stdout, stderr = _serve_one_request(tmp_path / "serve", "console")
    for logger in ("[alembic.runtime.migration]", "[uvicorn.error]", "[uvicorn.access]"):
        assert logger in stderr, stderr
    assert "GET /healthz?token=*** HTTP/1.1" in stderr
    assert not any(_is_json(line) for line in (stdout + stderr).splitlines())
    assert SECRET not in stdout + stderr


def test_without_the_variable_output_that_is_not_a_terminal_is_json(tmp_path: Path) -> None:
    _, stderr = _db_upgrade(tmp_path, None)
    assert _json_lines(stderr)


def test_an_unknown_format_is_a_usage_error_naming_the_variable(tmp_path: Path) -> None:
    result = subprocess.run(
        [POALIGN, "db", "upgrade", "--config", str(_config(tmp_path))],
        capture_output=True,
        text=True,
        env=_env("xml"),
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "POALIGN_LOG_FORMAT='xml' is not a log format; use one of: json, console" in result.stderr
    assert not (tmp_path / "poalign.db").exists()


@pytest.mark.parametrize("log_format", ["json", "console"])
def test_a_secret_in_an_event_or_a_library_record_is_redacted(
    log_format: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POALIGN_LOG_FORMAT", log_format)
    stream = io.StringIO()
    logs.register_secrets([SECRET])
    logs.configure(level="INFO", stream=stream)
    try:
        logs.get_logger("service.test").warning("sync.failed", error=f"401 for token {SECRET}", ids=[SECRET])
        logging.getLogger("urllib3.connectionpool").warning("GET /rest?token=%s", SECRET)
        try:
            raise RuntimeError(f"refused {SECRET}")
        except RuntimeError:
            logs.get_logger("service.test").exception("sync.crashed")
    finally:
        logs.configure(level="WARNING")
    output = stream.getvalue()
    assert SECRET not in output
    assert output.count("***") >= 4 and "sync.failed" in output and "GET /rest?token=***" in output
    assert "RuntimeError: refused ***" in output
    lines = [line for line in output.splitlines() if line.startswith(("{", "20"))]
    assert len(lines) == 3
    assert all(_is_json(line) for line in lines) is (log_format == "json")
