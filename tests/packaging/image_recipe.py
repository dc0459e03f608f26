"""The Dockerfile read as Docker reads it (dockerfile-parse), stage by stage, and its steps replayed on this
machine: no container engine runs here, so the image's install steps are run in bare venvs instead."""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from dockerfile_parse import DockerfileParser

ROOT = Path(__file__).resolve().parents[2]
PINNED_BASE = re.compile(r"^python:3\.11(\.\d+)?-slim-bookworm@sha256:[0-9a-f]{64}$")
MOUNT_FLAG = re.compile(r"^--mount=(\S+)\s+")


@dataclass
class Stage:
    name: str
    base: str
    steps: list[tuple[str, str]] = field(default_factory=list)  # (INSTRUCTION, value), in order

    def values(self, instruction: str) -> list[str]:
        return [value for name, value in self.steps if name == instruction]

    def env(self) -> dict[str, str]:
        pairs: dict[str, str] = {}
        for value in self.values("ENV"):
            for word in shlex.split(value):
                key, _, setting = word.partition("=")
                pairs[key] = setting
        return pairs

    def copies(self) -> list[tuple[list[str], str]]:
        """Each COPY from the build context: (sources, destination). COPY --from=... is not one."""
        found = []
        for value in self.values("COPY"):
            words = shlex.split(value)
            if any(word.startswith("--from") for word in words):
                continue
            found.append(([w for w in words[:-1] if not w.startswith("--")], words[-1]))
        return found

    def exec_form(self, instruction: str) -> list[str]:
        (value,) = self.values(instruction)
        argv = json.loads(value)
        assert isinstance(argv, list), f"{instruction} is not in exec form: {value}"
        return [str(word) for word in argv]


def stages(path: Path = ROOT / "Dockerfile") -> dict[str, Stage]:
    parsed = DockerfileParser(path=str(path))
    found: dict[str, Stage] = {}
    current: Stage | None = None
    for item in parsed.structure:
        instruction, value = item["instruction"], item["value"]
        if instruction == "FROM":
            base, _, alias = value.partition(" AS ")
            current = Stage(alias.strip() or str(len(found)), base.strip())
            found[current.name] = current
        elif instruction != "COMMENT" and current is not None:
            current.steps.append((instruction, value))
    return found


def dockerignore_patterns(path: Path = ROOT / ".dockerignore") -> list[str]:
    lines = (line.strip() for line in path.read_text().splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def admitted(relative: str, patterns: list[str]) -> bool:
    """Whether the build context keeps `relative` (Docker's rule: the last matching pattern wins; `!`
    admits again; a pattern that matches a folder covers what is inside)."""
    keep = True
    parts = relative.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    for pattern in patterns:
        negated = pattern.startswith("!")
        glob = pattern.removeprefix("!")
        if glob.startswith("**/"):
            hit = any(fnmatch.fnmatchcase(part, glob[3:]) for part in parts)
        else:
            hit = any(fnmatch.fnmatchcase(prefix, glob) for prefix in prefixes)
        if hit:
            keep = negated
    return keep


def make_venv(where: Path) -> Path:
    """A bare venv (no system site-packages): what the base image's own Python is to the Dockerfile."""
    subprocess.run([sys.executable, "-m", "venv", str(where)], check=True, timeout=120)
    return where


def venv_env(venv: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("POALIGN_", "PYTHON", "VIRTUAL_ENV"))}
    env.update(extra or {})
    env["VIRTUAL_ENV"] = str(venv)
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    # The image builds without a pip cache; here the machine's cache makes a rerun take seconds.
    env.pop("PIP_NO_CACHE_DIR", None)
    return env


def run(command: str, *, cwd: Path, env: dict[str, str], timeout: float = 600) -> None:
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", command],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert result.returncode == 0, (
        f"`{command}` exited {result.returncode}:\n{result.stdout}\n{result.stderr}"
    )


def copy_into_context(sources: list[str], destination: str, workdir: Path) -> None:
    """COPY as Docker does it, from the build context .dockerignore leaves (caches, local stores stay out):
    a folder's contents go into the destination; files go into it when it ends with / or there are several."""
    patterns = dockerignore_patterns()
    target = workdir / destination
    for source in sources:
        assert admitted(source, patterns), f".dockerignore keeps COPY source {source!r} out of the context"
        origin = ROOT / source
        if origin.is_dir():

            def left_out(folder: str, names: list[str]) -> list[str]:
                return [n for n in names if not admitted(str(Path(folder, n).relative_to(ROOT)), patterns)]

            shutil.copytree(origin, target, dirs_exist_ok=True, ignore=left_out)
        elif destination.endswith("/") or len(sources) > 1:
            target.mkdir(parents=True, exist_ok=True)
            shutil.copy2(origin, target / origin.name)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(origin, target)


@dataclass
class Replayed:
    wheels: Path
    runtime_venv: Path
    runtime: Stage
    skipped: list[str]  # runtime RUN steps that change the system, not Python (useradd, mkdir)


def replay(tmp: Path) -> Replayed:
    """Run the builder stage's COPY and RUN steps with /src and /wheels in `tmp`, then the runtime stage's
    pip steps in a second bare venv with the builder's wheels where the image mounts them."""
    recipe = stages()
    builder, runtime = recipe["builder"], recipe["runtime"]
    wheels = tmp / "wheels"
    workdir = tmp / "root"
    builder_venv = make_venv(tmp / "builder-python")
    env = venv_env(builder_venv, builder.env())
    for instruction, value in builder.steps:
        if instruction == "WORKDIR":
            workdir = tmp / "root" / value.lstrip("/")
            workdir.mkdir(parents=True, exist_ok=True)
        elif instruction == "COPY":
            words = shlex.split(value)
            copy_into_context(words[:-1], words[-1], workdir)
        elif instruction == "RUN":
            run(value.replace("/wheels", str(wheels)), cwd=workdir, env=env)
    runtime_venv = make_venv(tmp / "runtime-python")
    env = venv_env(runtime_venv, runtime.env())
    skipped = []
    for command in runtime.values("RUN"):
        mount = MOUNT_FLAG.match(command)
        if mount:
            assert "from=builder" in mount.group(1) and "target=/wheels" in mount.group(1), command
            command = command[mount.end() :]
        if not command.startswith("pip "):
            skipped.append(command)
            continue
        run(command.replace("/wheels", str(wheels)), cwd=tmp, env=env)
    return Replayed(wheels, runtime_venv, runtime, skipped)
