"""deploy/kubernetes/: every manifest valid by the Kubernetes API schemas (kubernetes-validate, strict:
an unknown or misspelt field fails), and a deployment that holds together: the Service and the
PodDisruptionBudget select the Deployment's pods, the budget lets a drain proceed, the probes give the
migrations time, the pods run unprivileged, and no CronJob duplicates the scheduler's work."""

from __future__ import annotations

import re
from typing import Any

import kubernetes_validate
import pytest
import yaml

from tests.deploy.files import (
    EXAMPLE_CONFIG,
    KUBERNETES,
    SECRET_TEMPLATE,
    manifest,
    manifest_files,
    manifests,
)

# The oldest Kubernetes release still served by the big managed offerings, and the newest schemas
# kubernetes-validate carries: the manifests use only stable APIs, so they hold on both.
KUBERNETES_VERSIONS = ("1.31.0", "1.37.0")
PLACEHOLDER = re.compile(r"^<REPLACE: [^<>]+>$")


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
@pytest.mark.parametrize("path", manifest_files(), ids=lambda path: path.name)
def test_each_manifest_is_valid_by_the_kubernetes_schemas(path: Any, version: str) -> None:
    for document in yaml.safe_load_all(path.read_text(encoding="utf-8")):
        try:
            kubernetes_validate.validate(document, version, strict=True)
        except kubernetes_validate.ValidationError as error:
            pytest.fail(f"{path}: {document['kind']}: {'/'.join(map(str, error.path))}: {error.message}")


def test_the_kustomization_applies_every_manifest_but_the_secret_template() -> None:
    kustomization = yaml.safe_load((KUBERNETES / "kustomization.yaml").read_text(encoding="utf-8"))
    expected = {path.name for path in manifest_files()} - {SECRET_TEMPLATE.name}
    assert set(kustomization["resources"]) == expected


def test_no_cronjob_and_no_replica_without_the_scheduler() -> None:
    """The jobs elect their runner by advisory lock (service/jobs.py run_job): a CronJob would run
    them twice, and `--no-scheduler` on every replica would run them nowhere."""
    assert [d["kind"] for _, d in manifests() if d["kind"] in ("CronJob", "Job")] == []
    for container in pod_spec()["containers"]:
        assert "--no-scheduler" not in [*container.get("command", []), *container.get("args", [])]


def pod_spec() -> dict[str, Any]:
    return manifest("Deployment")["spec"]["template"]["spec"]


def pod_labels() -> dict[str, str]:
    return manifest("Deployment")["spec"]["template"]["metadata"]["labels"]


def container() -> dict[str, Any]:
    containers = pod_spec()["containers"]
    assert len(containers) == 1
    return containers[0]


def selects(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return bool(selector) and all(labels.get(key) == value for key, value in selector.items())


def test_the_deployment_runs_several_replicas_that_its_selector_owns() -> None:
    spec = manifest("Deployment")["spec"]
    assert spec["replicas"] >= 2
    assert selects(spec["selector"]["matchLabels"], pod_labels())


def test_the_disruption_budget_selects_the_pods_and_lets_a_drain_proceed() -> None:
    budget = manifest("PodDisruptionBudget")["spec"]
    replicas = manifest("Deployment")["spec"]["replicas"]
    assert budget["selector"]["matchLabels"] == manifest("Deployment")["spec"]["selector"]["matchLabels"]
    assert selects(budget["selector"]["matchLabels"], pod_labels())
    # minAvailable equal to the replicas would block every node drain forever.
    assert 1 <= budget["minAvailable"] < replicas


def test_the_service_selects_the_pods_and_targets_their_port() -> None:
    service = manifest("Service")["spec"]
    assert selects(service["selector"], pod_labels())
    port_names = {port["name"] for port in container()["ports"]}
    for port in service["ports"]:
        assert port["targetPort"] in port_names or port["targetPort"] in {
            p["containerPort"] for p in container()["ports"]
        }


def test_the_probes_check_liveness_readiness_and_give_the_migrations_time() -> None:
    probes = container()
    assert probes["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert probes["readinessProbe"]["httpGet"]["path"] == "/readyz"
    startup = probes["startupProbe"]
    assert startup["httpGet"]["path"] == "/healthz"
    # `serve --upgrade` migrates before the port opens, and waits while another pod migrates.
    assert startup["periodSeconds"] * startup["failureThreshold"] >= 120


def test_the_pods_run_unprivileged_on_a_read_only_root() -> None:
    pod = pod_spec()["securityContext"]
    assert pod["runAsNonRoot"] is True
    own = container()["securityContext"]
    assert own["readOnlyRootFilesystem"] is True
    assert own["allowPrivilegeEscalation"] is False
    assert own["capabilities"]["drop"] == ["ALL"]
    # With a read-only root, whatever poalign writes needs a volume of its own.
    mounted = {mount["mountPath"] for mount in container()["volumeMounts"]}
    assert {"/tmp", "/data"} <= mounted


def test_requests_and_a_memory_limit_are_set() -> None:
    resources = container()["resources"]
    assert {"cpu", "memory"} <= set(resources["requests"])
    assert "memory" in resources["limits"]


def test_the_configmap_carries_the_example_config_mounted_where_poalign_reads_it() -> None:
    configmap = manifest("ConfigMap")
    assert configmap["data"]["poalign.yaml"] == EXAMPLE_CONFIG.read_text(encoding="utf-8"), (
        "deploy/kubernetes/configmap.yaml and deploy/poalign.example.yaml differ: keep them the same"
    )
    env = {item["name"]: item for item in container()["env"]}
    config_path = env["POALIGN_CONFIG"]["value"]
    volume = next(v for v in pod_spec()["volumes"] if v.get("configMap", {}).get("name") == "poalign-config")
    mount = next(m for m in container()["volumeMounts"] if m["name"] == volume["name"])
    assert mount["readOnly"] is True
    assert config_path == f"{mount['mountPath']}/poalign.yaml"


def test_every_secret_the_deployment_reads_is_in_the_template_as_a_placeholder() -> None:
    secret = manifest("Secret")
    values = secret["stringData"]
    wanted = {
        item["valueFrom"]["secretKeyRef"]["key"]
        for item in container()["env"]
        if "secretKeyRef" in item.get("valueFrom", {})
        and item["valueFrom"]["secretKeyRef"]["name"] == secret["metadata"]["name"]
    }
    assert wanted - set(values) == set(), f"{SECRET_TEMPLATE} lacks {sorted(wanted - set(values))}"
    assert set(values) - wanted == set(), f"{SECRET_TEMPLATE} has keys no container reads"
    assert [key for key, value in values.items() if not PLACEHOLDER.match(value)] == [], (
        "every value of the Secret template must be a <REPLACE: ...> placeholder"
    )
    assert "data" not in secret, "no base64 values in the template: they hide what they are"
