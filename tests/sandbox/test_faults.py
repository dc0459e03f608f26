"""Fault injection: deterministic under a seed, every kind as the clients see it, switchable at runtime."""

from __future__ import annotations

import json
import random

import pytest
import requests
from azure.devops.exceptions import AzureDevOpsServiceError
from jira import JIRAError

from sandbox import FaultConfig, FaultInjector, SandboxServer
from sandbox.testing import jira_client, wit_client

REQUESTS = [("GET", f"/acme/rest/api/2/issue/PAY-{i}", "") for i in range(1, 200)] + [
    ("POST", "/contoso/Project A/_apis/wit/workItemsBatch", "")
] * 20


def decisions(seed: int, order: list[tuple[str, str, str]], **cfg) -> dict[tuple, list]:
    inj = FaultInjector(FaultConfig(seed=seed, fault_rate=0.3, latency_jitter_ms=5, **cfg))
    out: dict[tuple, list] = {}
    for m, p, q in order:
        d = inj.decide(m, p, q)
        out.setdefault((m, p, q), []).append((d.kind, round(d.latency_s, 9)))
    return out


def test_same_seed_same_faults_whatever_the_interleaving() -> None:
    a = decisions(7, REQUESTS)
    shuffled = list(REQUESTS)
    random.Random(1).shuffle(shuffled)
    assert decisions(7, shuffled) == a  # concurrency changes the order, not the decisions
    assert decisions(8, REQUESTS) != a
    kinds = [k for lst in a.values() for k, _ in lst if k]
    assert 0.15 < len(kinds) / len(REQUESTS) < 0.45
    assert set(kinds) == {"429", "500", "503", "reset", "slow", "truncated"}
    # a retry of the same request gets a fresh draw
    assert len({k for k, _ in a[("POST", "/contoso/Project A/_apis/wit/workItemsBatch", "")]}) > 1


def test_scripted_faults_and_filters() -> None:
    inj = FaultInjector(FaultConfig(seed=1))
    inj.inject("503", count=2, path=r"/search/jql$")
    assert inj.decide("GET", "/acme/rest/api/2/field", "").kind is None
    assert [inj.decide("GET", "/acme/rest/api/2/search/jql", "").kind for _ in range(3)] == [
        "503",
        "503",
        None,
    ]
    inj.configure(fault_rate=1.0, kinds=["429"], methods=["POST"])
    assert inj.decide("GET", "/x", "").kind is None
    assert inj.decide("POST", "/x", "").kind == "429"
    with pytest.raises(ValueError):
        inj.configure(kinds=["teapot"])
    with pytest.raises(ValueError):
        inj.configure(fault_rate=2)


def test_jira_429_and_503_with_retry_after(sandbox: SandboxServer) -> None:
    jira = jira_client(sandbox, "acme")
    sandbox.jira_faults.inject("429", path=r"/issue/PAY-1$")
    with pytest.raises(JIRAError) as e:
        jira.issue("PAY-1")
    assert e.value.status_code == 429
    assert e.value.response.headers["Retry-After"] == "1"
    assert e.value.response.headers["RateLimit-Reason"] == "jira-burst-based"
    sandbox.jira_faults.inject("503", path=r"/issue/PAY-1$")
    with pytest.raises(JIRAError) as e:
        jira.issue("PAY-1")
    assert e.value.status_code == 503 and e.value.response.headers["Retry-After"] == "1"
    assert jira.issue("PAY-1").key == "PAY-1"
    log = sandbox.requests.filter(path=r"/issue/PAY-1$")
    assert [(x.status, x.fault) for x in log] == [(429, "429"), (503, "503"), (200, None)]


def test_ado_429_carries_rate_limit_headers(sandbox: SandboxServer) -> None:
    from azure.devops.v7_1.work_item_tracking.models import JsonPatchOperation

    wit = wit_client(sandbox, "contoso")
    wit.get_work_item(1000, "Project A")  # discovery first
    sandbox.ado_faults.configure(retry_after_s=0)
    sandbox.ado_faults.inject("429")
    with pytest.raises(AzureDevOpsServiceError) as e:  # a PATCH is never retried by msrest/urllib3
        wit.update_work_item(
            [JsonPatchOperation(op="add", path="/fields/System.Title", value="x")], 1000, "Project A"
        )
    assert "TF400733" in str(e.value)
    # a GET answered 429 *with* Retry-After is retried by urllib3 underneath the client
    sandbox.ado_faults.inject("429")
    assert wit.get_work_item(1000, "Project A").id == 1000
    assert [(x.method, x.status) for x in sandbox.requests.entries[-2:]] == [("GET", 429), ("GET", 200)]
    sandbox.ado_faults.inject("429")
    r = requests.get(
        f"{sandbox.ado_urls['contoso']}/Project A/_apis/wit/workitems/1000", auth=("", sandbox.token)
    )
    assert r.status_code == 429
    for h in (
        "Retry-After",
        "X-RateLimit-Resource",
        "X-RateLimit-Delay",
        "X-RateLimit-Limit",
        "X-RateLimit-Remaining",
        "X-RateLimit-Reset",
    ):
        assert h in r.headers


def test_reset_slow_and_truncated(sandbox: SandboxServer) -> None:
    base = sandbox.jira_urls["acme"]
    auth = ("me@example.com", sandbox.token)
    sandbox.jira_faults.inject("reset")
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{base}/rest/api/2/issue/PAY-1", auth=auth, timeout=5)
    sandbox.jira_faults.configure(slow_s=2.0)
    sandbox.jira_faults.inject("slow")
    with pytest.raises(requests.ReadTimeout):
        requests.get(f"{base}/rest/api/2/issue/PAY-1", auth=auth, timeout=0.3)
    sandbox.jira_faults.inject("truncated")
    r = requests.get(f"{base}/rest/api/2/issue/PAY-1", auth=auth, timeout=5)
    assert r.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(r.text)
    assert [e.fault for e in sandbox.requests.entries][-3:] == ["reset", "slow", "truncated"]
    assert sandbox.requests.entries[-3].status == 0


def test_rate_on_and_off_at_runtime_admin_untouched(sandbox: SandboxServer) -> None:
    base = sandbox.jira_urls["acme"]
    auth = ("me@example.com", sandbox.token)
    sandbox.jira_faults.configure(fault_rate=1.0, kinds={"500": 1})
    assert requests.get(f"{base}/rest/api/2/issue/PAY-1", auth=auth).status_code == 500
    assert requests.get(f"{sandbox.jira_root}/_sandbox/health").status_code == 200  # never faulted
    r = requests.put(f"{sandbox.jira_root}/_sandbox/faults/jira", json={"fault_rate": 0.0})
    assert r.json()["fault_rate"] == 0.0
    assert requests.get(f"{base}/rest/api/2/issue/PAY-1", auth=auth).status_code == 200
    assert sandbox.requests.count(path="/_sandbox") == 0  # admin calls are not logged


def test_latency_is_injected_and_logged(sandbox: SandboxServer) -> None:
    sandbox.ado_faults.configure(latency_ms=15)
    wit = wit_client(sandbox, "contoso")
    wit.get_work_item(1000, "Project A")
    entries = sandbox.requests.filter(emulator="ado")
    assert entries and all(e.latency_ms == pytest.approx(15.0) for e in entries)
    assert all(e.duration_ms >= e.latency_ms for e in entries)
