"""The sandbox plays the trackers' published rate limits over real HTTP (sandbox.rate_limits)."""

from __future__ import annotations

import requests

from sandbox.faults import FaultConfig
from sandbox.testing import DEFAULT_USER, running_sandbox, small_world


def test_jira_burst_bucket_answers_429_with_the_cloud_headers_then_refills() -> None:
    faults = FaultConfig(rate_limit={"burst": 2, "refill_per_s": 1, "quota": 100, "window_s": 3600})
    with running_sandbox(small_world(), jira_faults=faults) as sandbox:
        site = next(iter(sandbox.world.jira))
        url = f"{sandbox.jira_root}/{site}/rest/api/2/serverInfo"
        auth = (DEFAULT_USER, sandbox.token)
        answers = [requests.get(url, auth=auth, timeout=10) for _ in range(3)]
        other = requests.get(f"{sandbox.jira_root}/{site}/rest/api/2/field", auth=auth, timeout=10)
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert answers[0].headers["X-RateLimit-Limit"] == "2"
    assert answers[0].headers["X-RateLimit-Remaining"] == "1"
    assert answers[0].headers["Beta-RateLimit-Policy"] == '"tenant-app-quota";q=100;w=3600'
    assert answers[0].headers["Beta-RateLimit"].startswith('"tenant-app-quota";r=99;t=')
    blocked = answers[2]
    assert blocked.headers["RateLimit-Reason"] == "jira-burst-based"
    assert int(blocked.headers["Retry-After"]) >= 1
    assert other.status_code == 200  # the bucket is per endpoint


def test_ado_delays_past_half_its_tstu_budget_then_blocks_with_tf400733() -> None:
    faults = FaultConfig(
        rate_limit={
            "tstu_limit": 4,
            "tstu_per_request": 1,
            "window_s": 60,
            "delay_share": 0.5,
            "delay_s": 0.01,
        }
    )
    with running_sandbox(small_world(), ado_faults=faults) as sandbox:
        org = next(iter(sandbox.world.ado))
        url = f"{sandbox.ado_root}/{org}/_apis/projects"
        answers = [requests.get(url, auth=("", sandbox.token), timeout=10) for _ in range(5)]
    assert [a.status_code for a in answers] == [200, 200, 200, 200, 429]
    assert "X-RateLimit-Delay" not in answers[1].headers
    assert answers[2].headers["X-RateLimit-Delay"] == "0.010"
    assert answers[3].headers["X-RateLimit-Remaining"] == "0"
    blocked = answers[4]
    assert "TF400733" in blocked.text
    assert int(blocked.headers["Retry-After"]) >= 1
