"""The deployment files fit what they deploy: the example config is valid and every variable it names
is set by compose and by Kubernetes; the port, user, config path and probe paths are the Dockerfile's
and the API's; the image is this version's; and no secret value sits in any of the files."""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi import FastAPI
from fastapi.testclient import TestClient

from service.api.app import create_app
from service.config.loader import load_config
from service.config.secret_shape import looks_like_secret
from service.runtime import Runtime
from tests.deploy.files import (
    COMPOSE,
    DEPLOY,
    EXAMPLE_CONFIG,
    ROOT,
    compose_resolved,
    dockerfile,
    dockerfile_uid,
    filled_env,
    manifest,
    manifests,
    poalign_services,
    url_path,
)

COMPOSE_SERVICES = poalign_services(compose_resolved(filled_env()))


def deployment_container() -> dict[str, Any]:
    return manifest("Deployment")["spec"]["template"]["spec"]["containers"][0]


def deployment_env() -> dict[str, dict[str, Any]]:
    return {item["name"]: item for item in deployment_container()["env"]}


def test_the_example_config_is_valid_and_uses_postgresql() -> None:
    loaded = load_config(EXAMPLE_CONFIG)  # raises ConfigError listing every problem
    # Two replicas on SQLite would each hold their own process lock: the jobs would run twice.
    assert loaded.config.database.url_env, "several replicas need PostgreSQL: database.url_env"


def config_variables() -> list[str]:
    return load_config(EXAMPLE_CONFIG).secret_env_names()


@pytest.mark.parametrize("service", sorted(COMPOSE_SERVICES))
def test_compose_sets_every_variable_the_config_names(service: str) -> None:
    environment = COMPOSE_SERVICES[service]["environment"]
    unset = [name for name in config_variables() if not environment.get(name)]
    assert unset == [], f"{COMPOSE}: {service} does not set {unset}, which {EXAMPLE_CONFIG.name} names"


def test_kubernetes_sets_every_variable_the_config_names() -> None:
    env = deployment_env()
    unset = [name for name in config_variables() if name not in env]
    assert unset == [], f"deploy/kubernetes/deployment.yaml does not set {unset}"
    inline = [name for name in config_variables() if "value" in env[name]]
    assert inline == [], f"{inline} must come from the Secret (secretKeyRef), not a value in the manifest"


def test_the_port_is_the_one_the_image_exposes() -> None:
    (port,) = dockerfile().exposed_ports
    for name, service in COMPOSE_SERVICES.items():
        assert {int(p.rsplit(":", 1)[1]) for p in service["ports"]} == {port}, name
    assert [p["containerPort"] for p in deployment_container()["ports"]] == [port]
    annotations = manifest("Deployment")["spec"]["template"]["metadata"]["annotations"]
    assert annotations["prometheus.io/port"] == str(port)


def runs_serve_with_migrations(command: list[str]) -> bool:
    return command[:2] == ["poalign", "serve"] and "--no-upgrade" not in command


def test_every_replica_runs_serve_and_migrates_on_start() -> None:
    """The image's command is `poalign serve --upgrade` (migrations on start, under an advisory lock);
    a replica that replaces it must still run that."""
    image_command = dockerfile().command
    assert runs_serve_with_migrations(image_command), image_command
    for name, service in COMPOSE_SERVICES.items():
        assert "entrypoint" not in service, name
        command = [str(word) for word in service.get("command", image_command)]
        assert runs_serve_with_migrations(command), f"{name}: {command}"
    # Kubernetes: `command` replaces the image's ENTRYPOINT (it has none), `args` its CMD.
    container = deployment_container()
    given = [*container.get("command", []), *container.get("args", [])]
    assert runs_serve_with_migrations(given or image_command), given


def test_the_pods_run_as_the_image_user() -> None:
    uid = dockerfile_uid()
    assert uid is not None and uid != 0, f"the Dockerfile's USER must be a non-root uid (found {uid})"
    assert manifest("Deployment")["spec"]["template"]["spec"]["securityContext"]["runAsUser"] == uid


def test_the_config_path_is_the_one_the_image_reads() -> None:
    image_path = dockerfile().env["POALIGN_CONFIG"]
    assert deployment_env()["POALIGN_CONFIG"]["value"] == image_path
    for name, service in COMPOSE_SERVICES.items():
        assert service["environment"]["POALIGN_CONFIG"] == image_path, name
        assert image_path in {volume["target"] for volume in service["volumes"]}, name


def test_the_image_tag_is_this_version() -> None:
    version = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
    assert deployment_container()["image"].rsplit(":", 1) == ["poalign", version]
    for name, service in COMPOSE_SERVICES.items():
        assert service["image"] == f"poalign:{version}", name


@pytest.fixture
def app(store_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[FastAPI]:
    """The app over the example config (its variables set, as the Secret sets them), on a real store."""
    for name in config_variables():
        monkeypatch.setenv(name, f"test-{name.lower()}")
    runtime = Runtime.open(load_config(EXAMPLE_CONFIG), url=store_url, process="test")
    try:
        yield create_app(runtime)
    finally:
        runtime.close()


def health_paths() -> dict[str, str]:
    """Every path a health check or probe asks for, by where it is written."""
    paths = {"Dockerfile HEALTHCHECK": url_path(dockerfile().healthcheck or "")}
    for name, service in COMPOSE_SERVICES.items():
        paths[f"compose {name}"] = url_path(" ".join(service["healthcheck"]["test"]))
    container = deployment_container()
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        paths[f"Deployment {probe}"] = container[probe]["httpGet"]["path"]
    return {where: path or "(none)" for where, path in paths.items()}


def test_every_probe_asks_a_path_the_api_answers(app: FastAPI) -> None:
    routes = set(app.openapi()["paths"])  # every route the app declares (the probes are documented too)
    assert {"/healthz", "/readyz", "/metrics"} <= routes
    for where, path in health_paths().items():
        assert path in routes, f"{where} asks {path}, which the API does not serve"
    with TestClient(app) as client:
        for where, path in health_paths().items():
            assert client.get(path).status_code == 200, f"{where}: GET {path}"
        annotations = manifest("Deployment")["spec"]["template"]["metadata"]["annotations"]
        assert client.get(annotations["prometheus.io/path"]).status_code == 200


def deploy_files() -> list[Path]:
    return sorted(path for path in DEPLOY.rglob("*") if path.is_file())


def strings(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)
    elif isinstance(value, str):
        yield value


@pytest.mark.parametrize("path", deploy_files(), ids=lambda path: str(path.relative_to(DEPLOY)))
def test_no_secret_value_in_the_deployment_files(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    words = text.split()
    if path.suffix == ".yaml":
        for document in yaml.safe_load_all(text):
            words += list(strings(document))
    suspicious = [word for word in words if looks_like_secret(word.strip("\"',;()"))]
    assert suspicious == [], f"{path}: looks like a secret: {suspicious}"


def test_no_database_url_in_a_manifest_but_the_placeholder() -> None:
    """The URL carries the database password: only the Secret holds it, and the template a placeholder."""
    for path, document in manifests():
        for value in strings(document):
            assert "postgresql://" not in value or value.startswith("<REPLACE:"), f"{path}: {value}"
