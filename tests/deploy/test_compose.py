"""deploy/compose.yaml: valid by the Compose Specification's own schema, and a deployment that holds
together: PostgreSQL healthy before the replicas, two or more replicas, every variable listed in
.env.example, every secret required (Compose refuses to start without it)."""

from __future__ import annotations

import hashlib
import json
import re

import jsonschema
import pytest

from tests.deploy.files import (
    COMPOSE,
    DEPLOY,
    ENV_EXAMPLE,
    EXAMPLE_CONFIG,
    ROOT,
    MissingVariable,
    compose_raw,
    compose_resolved,
    compose_text,
    env_example,
    filled_env,
    poalign_services,
    variable_references,
)

SCHEMAS = ROOT / "tests" / "deploy" / "schemas"
# service/runtime.py Runtime.open: a PostgreSQL pool of pool_size=20 + max_overflow=20 per process.
POOL_PER_REPLICA = 40


def test_the_compose_file_is_valid_by_the_compose_specification_schema() -> None:
    schema = json.loads((SCHEMAS / "compose-spec.json").read_text(encoding="utf-8"))
    validator = jsonschema.Draft7Validator(schema)
    # Compose validates after interpolation; with every variable of .env.example filled in.
    errors = sorted(validator.iter_errors(compose_resolved(filled_env())), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{COMPOSE}: {'/'.join(map(str, e.path))}: {e.message}" for e in errors)


def test_the_vendored_schema_is_the_file_sources_md_names() -> None:
    sources = (SCHEMAS / "SOURCES.md").read_text(encoding="utf-8")
    digest = hashlib.sha256((SCHEMAS / "compose-spec.json").read_bytes()).hexdigest()
    assert digest in sources, (
        f"tests/deploy/schemas/compose-spec.json (sha256 {digest}) is not the file SOURCES.md names"
    )


def test_env_example_lists_exactly_the_variables_compose_reads() -> None:
    read = {reference.name for reference in variable_references(compose_text())}
    # A service variable without a value is passed through from the shell or .env.
    for service in compose_raw()["services"].values():
        environment = service.get("environment") or {}
        read |= {name for name, value in environment.items() if value is None}
    listed = set(env_example())
    assert read - listed == set(), (
        f"{ENV_EXAMPLE} does not list {sorted(read - listed)}, which compose.yaml reads"
    )
    assert listed - read == set(), (
        f"{ENV_EXAMPLE} lists {sorted(listed - read)}, which compose.yaml never reads"
    )


def test_every_secret_is_required_and_empty_in_the_example() -> None:
    """The live lines of .env.example are the secrets: all empty, and each one stops Compose when left so."""
    secrets = {name: value for name, value in env_example().items() if value is not None}
    assert secrets, f"{ENV_EXAMPLE} has no secrets to fill in"
    assert {name for name, value in secrets.items() if value != ""} == set(), "a value in .env.example"
    references = variable_references(compose_text())
    for name in secrets:
        uses = [reference for reference in references if reference.name == name]
        assert uses and all(use.required for use in uses), (
            f"compose.yaml must read {name} as ${{{name}:?...}}"
        )
    with pytest.raises(MissingVariable):  # the example copied as it is
        compose_resolved({name: value or "" for name, value in env_example().items()})


def test_postgresql_is_pinned_persistent_and_healthy_before_the_replicas_start() -> None:
    compose = compose_resolved(filled_env())
    postgres = compose["services"]["postgres"]
    image, _, tag = postgres["image"].partition(":")
    assert image == "postgres" and re.fullmatch(r"\d+\.\d+(-\w+)?", tag), f"pin a PostgreSQL release: {tag!r}"
    assert "healthcheck" in postgres
    volume = next(v for v in postgres["volumes"] if v.endswith(":/var/lib/postgresql/data"))
    assert volume.split(":")[0] in compose["volumes"], "PostgreSQL's data must live in a named volume"
    for name, service in poalign_services(compose).items():
        assert service["depends_on"]["postgres"]["condition"] == "service_healthy", name
        url = service["environment"]["POALIGN_DATABASE_URL"]
        assert re.match(r"postgresql://[^@]+@postgres:5432/", url), (
            f"{name} must use the postgres service: {url}"
        )


def test_postgresql_accepts_the_connections_of_every_replica() -> None:
    compose = compose_resolved(filled_env())
    command = compose["services"]["postgres"].get("command") or []
    settings = dict(arg.split("=", 1) for arg in command if "=" in arg)
    max_connections = int(settings.get("max_connections", 100))  # PostgreSQL's default
    replicas = len(poalign_services(compose))
    # + a migration or a job's lock connection each, and psql/pg_dump for the operator.
    assert max_connections >= POOL_PER_REPLICA * replicas + 20, (
        f"{replicas} replicas may open {POOL_PER_REPLICA * replicas} connections; max_connections is {max_connections}"
    )


def test_two_replicas_each_healthy_with_the_config_mounted_read_only() -> None:
    compose = compose_resolved(filled_env())
    replicas = poalign_services(compose)
    assert len(replicas) >= 2, (
        f"compose.yaml runs {len(replicas)} poalign replica(s); several share PostgreSQL"
    )
    host_ports = []
    for name, service in replicas.items():
        assert service["healthcheck"]["test"], name
        assert (COMPOSE.parent / service["build"]["context"] / service["build"]["dockerfile"]).is_file()
        mount = next(v for v in service["volumes"] if v["target"] == "/config/poalign.yaml")
        assert mount["read_only"] is True, f"{name}: mount the config read-only"
        assert (DEPLOY / mount["source"]).resolve() == EXAMPLE_CONFIG.resolve()
        host_ports += [port.rsplit(":", 1)[0] for port in service["ports"]]
    assert len(set(host_ports)) == len(host_ports), f"two replicas publish the same host port: {host_ports}"


def test_the_scheduled_jobs_run_on_some_replica() -> None:
    """No replica is told --no-scheduler unless a `poalign scheduler` service takes the jobs."""
    services = compose_resolved(filled_env())["services"].values()
    commands = [" ".join(service.get("command") or []) for service in services]
    schedulers = [command for command in commands if command.startswith("scheduler")]
    serving_jobs = [
        service
        for service in poalign_services(compose_resolved(filled_env())).values()
        if "--no-scheduler" not in (service.get("command") or [])
    ]
    assert schedulers or serving_jobs, "nothing in compose.yaml runs the scheduled jobs"
