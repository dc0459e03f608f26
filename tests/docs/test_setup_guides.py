"""The setup guides are followed as a reader would: the commands of each guide's "Try it against the
sandbox" section run in order (the first, `poalign sandbox serve`, in the background until it is
ready), and each must succeed. The commands in the other sections are checked to be real poalign
commands with real options (`--help` of each accepts them)."""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GUIDES = [ROOT / "docs" / "setup-jira.md", ROOT / "docs" / "setup-azure-devops.md"]
POALIGN = [
    sys.executable,
    "-P",
    "-c",
    "from service.cli.main import app; app()",
]  # -P: a folder named sandbox in the cwd is not the package
FENCE = re.compile(r"```sh\n(.*?)```", re.S)


def sandbox_commands(guide: Path) -> list[list[str]]:
    section = guide.read_text().split("## Try it against the sandbox", 1)[1]
    (block,) = FENCE.findall(section)
    return [shlex.split(line) for line in block.strip().splitlines()]


def all_commands(guide: Path) -> list[list[str]]:
    return [
        shlex.split(line) for block in FENCE.findall(guide.read_text()) for line in block.strip().splitlines()
    ]


@pytest.mark.parametrize("guide", GUIDES, ids=lambda p: p.name)
def test_every_command_in_the_guide_is_a_poalign_command_with_real_options(guide: Path) -> None:
    for command in all_commands(guide):
        assert command[0] == "poalign", command
        words = [w for w in command[1:] if not w.startswith("-") and "/" not in w and "." not in w]
        options = [w.split("=")[0] for w in command[1:] if w.startswith("--")]
        help_text = subprocess.run(
            [*POALIGN, *words[:2], "--help"], capture_output=True, text=True, timeout=60, cwd=ROOT
        )
        assert help_text.returncode == 0, (command, help_text.stderr)
        for option in options:
            assert option in help_text.stdout, (command, option)


@pytest.mark.slow
@pytest.mark.parametrize("guide", GUIDES, ids=lambda p: p.name)
def test_the_sandbox_section_runs_as_written(guide: Path, tmp_path: Path) -> None:
    (tmp_path / "sandbox" / "worlds").mkdir(parents=True)
    (tmp_path / "sandbox" / "worlds" / "demo").symlink_to(ROOT / "sandbox" / "worlds" / "demo")
    serve, *steps = sandbox_commands(guide)
    assert serve[:3] == ["poalign", "sandbox", "serve"]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [*POALIGN, *serve[1:]],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    lines: list[str] = []
    try:
        while line := proc.stdout.readline():  # type: ignore[union-attr]  # stdout=PIPE above
            lines.append(line)
            if line.startswith("ready"):
                break
        assert lines and lines[-1].startswith("ready"), "".join(lines)
        for step in steps:
            assert step[0] == "poalign", step
            done = subprocess.run(
                [*POALIGN, *step[1:]], cwd=tmp_path, capture_output=True, text=True, timeout=300
            )
            assert done.returncode == 0, (step, done.stdout[-2000:], done.stderr[-2000:])
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
