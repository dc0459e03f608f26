"""The hostile suites generate at least 1,000 inputs in `make test` (about ten times as many with
POALIGN_PROOF=1), and no kind is a token gesture."""

from __future__ import annotations

from testkit.hostile import budget, config_cases
from testkit.hostile.budget import count
from testkit.hostile.command_cases import command_cases
from testkit.hostile.tracker_cases import tracker_cases
from testkit.hostile.webhook_cases import Secrets, webhook_cases
from testkit.hostile.world_cases import world_cases


def test_the_hostile_suites_generate_at_least_a_thousand_inputs() -> None:
    secrets = Secrets("secret", "user", "password", "jira-acme", "ado-contoso", 1_000_000)
    scale = 10.0 if budget.PROOF else 1.0
    counts = {
        **count(webhook_cases(secrets, scale)),
        **count(tracker_cases(scale)),
        "world": len(world_cases(scale)),
        "config": len(config_cases.cases()),
        "command": len(command_cases(scale)),
    }
    assert set(counts) == {
        "webhook.jira",
        "webhook.ado",
        "tracker.jira",
        "tracker.ado",
        "world",
        "config",
        "command",
    }
    assert all(n >= 100 for n in counts.values()), counts
    assert sum(counts.values()) >= budget.MINIMUM_TOTAL * (10 if budget.PROOF else 1), counts


def test_the_generators_are_deterministic() -> None:
    # seeded: the same inputs every run, so a failure can be replayed by its variant name
    secrets = Secrets("secret", "user", "password", "jira-acme", "ado-contoso", 1_000_000)
    first = [(case.variant, case.body) for case in webhook_cases(secrets)]
    assert first == [(case.variant, case.body) for case in webhook_cases(secrets)]
    assert [case.variant for case in tracker_cases()] == [case.variant for case in tracker_cases()]
