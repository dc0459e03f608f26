"""Mutated poalign.yaml files (testkit.hostile.config_cases): always a ConfigError naming the file, the
line and the key, never a traceback; `poalign config validate` exits 2 and prints them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from service.cli.main import app
from testkit.hostile import budget
from testkit.hostile.config_cases import PASTED_SECRETS, cases, check, run, with_value
from testkit.hostile.config_paths import ConfigPath, dotted, dump


def test_mutated_configs_get_a_config_error_naming_file_line_and_key(tmp_path: Path) -> None:
    all_cases = cases()
    for case in all_cases:
        outcome, problems = run(case, tmp_path)  # anything but ConfigError fails the test here
        if case.expect == "loads":
            assert outcome == "loads", f"{case.name}: " + "\n".join(map(str, problems))
        elif case.expect == "error":
            assert outcome == "error", f"{case.name}: loaded, but it is not a valid config"
        if outcome == "error":
            text_lines = (
                case.raw.count(b"\n") if case.raw is not None else (case.text or "").count("\n")
            ) + 1
            check(case, problems, str(tmp_path / "poalign.yaml"), text_lines)
    budget.record("config", len(all_cases))
    assert len(all_cases) >= budget.size(400, 4000)


runner = CliRunner()


@pytest.mark.parametrize("every", [7])
def test_config_validate_exits_2_with_file_line_and_key_never_a_traceback(tmp_path: Path, every: int) -> None:
    """Through the command line, on every seventh case: exit 2, each problem printed, no traceback."""
    path = tmp_path / "poalign.yaml"
    checked = 0
    for case in cases()[::every]:
        if case.expect != "error":
            continue
        if case.raw is not None:
            path.write_bytes(case.raw)
        else:
            path.write_text(case.text or "", encoding="utf-8", newline="")
        result = runner.invoke(app, ["config", "validate", "--config", str(path)])
        assert result.exit_code == 2, f"{case.name}: exit {result.exit_code}\n{result.output}"
        assert result.exception is None or isinstance(result.exception, SystemExit), (
            case.name,
            repr(result.exception),
        )
        assert "Traceback" not in result.output, case.name
        assert f"{path}" in result.output, case.name
        for secret in case.forbidden:
            assert secret not in result.output, case.name
        checked += 1
    assert checked >= 40


POALIGN = str(Path(sys.executable).parent / "poalign")


@pytest.mark.parametrize(
    "content",
    [
        bytes(range(256)) * 4,
        b"a: &a [*a]\n",
        ("policy:\n  rules: " + "[" * 200 + "]" * 200 + "\n").encode(),
    ],
    ids=["binary", "self-alias", "deep"],
)
def test_the_installed_command_exits_2_without_a_traceback(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "poalign.yaml"
    path.write_bytes(content)
    result = subprocess.run(
        [POALIGN, "config", "validate", "--config", str(path)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert f"{path}:1: " in result.stderr or f"{path}:2: " in result.stderr, result.stderr


@pytest.mark.parametrize("path", list(PASTED_SECRETS), ids=dotted)
def test_a_pasted_secret_is_refused_and_never_printed_back(tmp_path: Path, path: ConfigPath) -> None:
    secret = PASTED_SECRETS[path]
    config = tmp_path / "poalign.yaml"
    config.write_text(dump(with_value(path, secret)), encoding="utf-8")
    for command in (["config", "validate"], ["check"], ["sync"]):
        result = runner.invoke(app, [*command, "--config", str(config)])
        assert result.exit_code == 2, (command, result.output)
        assert f"{dotted(path)}: this looks like a secret" in result.output, result.output
        assert secret[:12] not in result.output and secret[-12:] not in result.output
