"""Reading the deployment files the way their tools do: Compose's variable interpolation, the
Kubernetes manifests as documents, and the facts the Dockerfile states (port, user, health check)."""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
COMPOSE = DEPLOY / "compose.yaml"
ENV_EXAMPLE = DEPLOY / ".env.example"
EXAMPLE_CONFIG = DEPLOY / "poalign.example.yaml"
KUBERNETES = DEPLOY / "kubernetes"
SECRET_TEMPLATE = KUBERNETES / "secret.template.yaml"
DOCKERFILE = ROOT / "Dockerfile"

# ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?error}, ${NAME?error}, $NAME; $$ is a literal $.
_VARIABLE = re.compile(
    r"\$\$|\$\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}|\$(?P<bare>[A-Za-z_][A-Za-z0-9_]*)"
)


class MissingVariable(Exception):
    """A ${NAME:?...} or ${NAME?...} that the environment does not satisfy, as Compose refuses it."""


@dataclass(frozen=True)
class Reference:
    name: str
    required: bool  # ${NAME:?...}: Compose stops when it is unset or empty
    default: str | None


def variable_references(text: str) -> list[Reference]:
    found = []
    for match in _VARIABLE.finditer(text):
        name = match["braced"] or match["bare"]
        if name:
            op = match["op"] or ""
            found.append(Reference(name, "?" in op, match["arg"] if "-" in op else None))
    return found


def interpolate(value: Any, env: Mapping[str, str]) -> Any:
    """Compose's interpolation (compose-spec 12-interpolation.md) over every string of a parsed file."""
    if isinstance(value, dict):
        return {key: interpolate(item, env) for key, item in value.items()}
    if isinstance(value, list):
        return [interpolate(item, env) for item in value]
    if not isinstance(value, str):
        return value

    def substitute(match: re.Match[str]) -> str:
        if match[0] == "$$":
            return "$"
        name = match["braced"] or match["bare"]
        op, arg = match["op"] or "", match["arg"] or ""
        current = env.get(name)
        missing = current is None or (op.startswith(":") and current == "")
        if op.endswith("-"):
            return arg if missing else str(current)
        if op.endswith("?") and missing:
            raise MissingVariable(f"{name}: {arg}")
        return current or ""

    return _VARIABLE.sub(substitute, value)


def compose_text() -> str:
    return COMPOSE.read_text(encoding="utf-8")


def compose_raw() -> dict[str, Any]:
    return yaml.safe_load(compose_text())


def env_example() -> dict[str, str | None]:
    """Every variable .env.example names: its value when set on a live line, None when commented out."""
    names: dict[str, str | None] = {}
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        live = re.match(r"^([A-Z_][A-Z0-9_]*)=(.*)$", line)
        commented = re.match(r"^#\s*([A-Z_][A-Z0-9_]*)=", line)
        if live:
            names[live[1]] = live[2]
        elif commented:
            names.setdefault(commented[1], None)
    return names


def compose_resolved(env: Mapping[str, str]) -> dict[str, Any]:
    return interpolate(compose_raw(), env)


def filled_env() -> dict[str, str]:
    """An operator's deploy/.env: every secret of .env.example filled in, the settings left at their defaults."""
    return {name: f"value-of-{name.lower()}" for name, value in env_example().items() if value is not None}


def poalign_services(compose: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The services that run the poalign image (built from this repository)."""
    return {name: service for name, service in compose["services"].items() if "build" in service}


def manifest_files() -> list[Path]:
    return sorted(path for path in KUBERNETES.glob("*.yaml") if path.name != "kustomization.yaml")


def manifests() -> Iterator[tuple[Path, dict[str, Any]]]:
    for path in manifest_files():
        for document in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if document:
                yield path, document


def manifest(kind: str) -> dict[str, Any]:
    found = [document for _, document in manifests() if document["kind"] == kind]
    assert len(found) == 1, f"expected one {kind} in {KUBERNETES}, found {len(found)}"
    return found[0]


@dataclass(frozen=True)
class DockerfileFacts:
    exposed_ports: list[int]
    user: str | None  # the last USER instruction, as written
    healthcheck: str | None  # the HEALTHCHECK instruction's command
    command: list[str]  # CMD (after ENTRYPOINT, when there is one)
    env: dict[str, str]


def dockerfile() -> DockerfileFacts:
    # Join continuation lines, drop comments: one instruction a line, as the builder reads them.
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text(encoding="utf-8"))
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    ports: list[int] = []
    user = health = None
    entrypoint: list[str] = []
    command: list[str] = []
    env: dict[str, str] = {}
    for line in lines:
        instruction, _, rest = line.partition(" ")
        instruction = instruction.upper()
        if instruction == "EXPOSE":
            ports += [int(port.split("/")[0]) for port in rest.split()]
        elif instruction == "USER":
            user = rest.strip()
        elif instruction == "HEALTHCHECK":
            health = rest
        elif instruction in ("CMD", "ENTRYPOINT"):
            words = yaml.safe_load(rest) if rest.strip().startswith("[") else shlex.split(rest)
            if instruction == "CMD":
                command = words
            else:
                entrypoint = words
        elif instruction == "ENV":
            env.update(word.split("=", 1) for word in shlex.split(rest) if "=" in word)
    return DockerfileFacts(ports, user, health, entrypoint + command, env)


def uid_of(user: str | None) -> int | None:
    """The numeric uid a Dockerfile USER names (`10001`, `10001:10001`), or None for a user name."""
    if user is None:
        return None
    head = user.split(":")[0]
    return int(head) if head.isdigit() else None


def dockerfile_uid() -> int | None:
    """The uid the image runs as: a numeric USER, or the --uid of the useradd that created the USER."""
    facts = dockerfile()
    numeric = uid_of(facts.user)
    if numeric is not None:
        return numeric
    created = re.search(r"useradd[^\n]*?(?:--uid|-u)\s+(\d+)", DOCKERFILE.read_text(encoding="utf-8"))
    return int(created[1]) if created else None


def url_path(command: str) -> str | None:
    """The path of the loopback URL a health-check command requests."""
    found = re.search(r"https?://(?:127\.0\.0\.1|localhost)(?::\d+)?(/[A-Za-z0-9_/.-]*)", command)
    return found[1] if found else None
