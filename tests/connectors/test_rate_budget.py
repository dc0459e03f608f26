"""The rate budget of a source, on a fake clock: what each tracker header makes every worker do.
Header shapes: shared/reference/tracker-api-facts.md §5 (Jira, incl. 2026 Cloud captures) and §9 (ADO)."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from connectors.budget import FIRST_BACKOFF_S, MAX_LEARNT_S, MAX_PAUSE_S, RateBudget, budget_for


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0
        self.slept: list[float] = []

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def budget() -> tuple[RateBudget, Clock]:
    clock = Clock()
    return RateBudget(clock=clock.time, sleep=clock.sleep), clock


def test_a_429_with_retry_after_holds_back_every_later_request() -> None:
    b, clock = budget()
    b.after_response(429, {"Retry-After": "3", "RateLimit-Reason": "jira-burst-based"})
    assert b.before_request() == 3
    assert clock.slept == [3]
    assert b.pauses == 1


def test_429s_of_requests_already_in_flight_learn_once() -> None:
    b, _ = budget()
    for _ in range(8):  # eight workers' requests were out when the limit was met
        b.after_response(429, {"Retry-After": "1"})
    assert b.pauses == 1
    b.before_request()
    assert math.isclose(
        b.before_request(), FIRST_BACKOFF_S
    )  # spaced by the learnt pace, doubled once, not 2^8


def test_the_learnt_pace_recovers_with_answers_that_are_not_429() -> None:
    b, _ = budget()
    b.after_response(429, {"Retry-After": "1"})
    for _ in range(200):
        b.after_response(200, {})
    b.before_request()
    assert b.before_request() == 0


def test_ado_delaying_spaces_requests_by_its_delay() -> None:
    b, _ = budget()
    b.after_response(200, {"X-RateLimit-Delay": "0.250", "X-RateLimit-Resource": "WorkItemTracking"})
    waits = [b.before_request() for _ in range(3)]
    assert [round(w, 6) for w in waits] == [0, 0.25, 0.25]


def test_ado_retry_after_on_a_200_pauses_too() -> None:
    b, _ = budget()
    b.after_response(200, {"Retry-After": "2", "X-RateLimit-Remaining": "3"})
    assert b.before_request() == 2


def test_jira_cloud_points_near_quota_spread_what_is_left_over_the_window() -> None:
    b, _ = budget()
    headers = {
        "Beta-RateLimit-Policy": '"tenant-app-quota";q=100100;w=3600',
        "Beta-RateLimit": '"tenant-app-quota";r=100;t=600',
    }
    b.after_response(200, headers)
    b.before_request()
    assert math.isclose(b.before_request(), 6.0)  # 600 s left for 100 points
    b.after_response(200, {**headers, "Beta-RateLimit": '"tenant-app-quota";r=17842;t=2107'})
    b.before_request()
    assert b.before_request() == 0  # far from the quota: no pacing


def test_few_requests_left_before_an_iso_reset_are_spread() -> None:
    b, clock = budget()
    reset = "1970-01-12T13:50Z"  # ISO 8601 minutes as Jira Cloud sends X-RateLimit-Reset
    clock.now = 1_000_000.0  # 1970-01-12T13:46:40Z: 200 s before the reset
    b.after_response(
        200, {"X-RateLimit-Limit": "350", "X-RateLimit-Remaining": "10", "X-RateLimit-Reset": reset}
    )
    b.before_request()
    assert math.isclose(b.before_request(), 200 / 10)


def test_one_budget_per_source_shared_by_its_clients() -> None:
    url = "https://acme.atlassian.net"
    assert budget_for("jira-shared-x", url) is budget_for("jira-shared-x", url)
    assert budget_for("jira-shared-x", url) is not budget_for("ado-shared-y", url)
    assert budget_for("jira-shared-x", url) is not budget_for("jira-shared-x", "https://other.example")


def test_workers_arriving_together_get_distinct_slots() -> None:
    clock = Clock()
    b = RateBudget(clock=clock.time, sleep=lambda seconds: None)  # five workers at one instant
    b.after_response(200, {"X-RateLimit-Delay": "0.02"})
    waits = [round(b.before_request(), 6) for _ in range(5)]
    assert waits == [0, 0.02, 0.04, 0.06, 0.08]


header_text = st.text(max_size=40)
header_names = st.sampled_from(
    [
        "Retry-After",
        "X-RateLimit-Delay",
        "X-RateLimit-Limit",
        "X-RateLimit-Remaining",
        "X-RateLimit-Reset",
        "Beta-RateLimit",
        "Beta-RateLimit-Policy",
        "RateLimit-Reason",
    ]
)


@given(st.integers(100, 599), st.dictionaries(header_names, header_text, max_size=8))
def test_hostile_headers_never_raise_nor_stall_beyond_the_caps(status: int, headers: dict[str, str]) -> None:
    """Rate-limit headers are tracker text: garbage, negative, huge or NaN values are read safely."""
    b, _ = budget()
    b.after_response(status, headers)
    first, second = b.before_request(), b.before_request()
    for wait in (first, second):
        assert 0 <= wait <= MAX_PAUSE_S + MAX_LEARNT_S
