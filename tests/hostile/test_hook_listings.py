"""Registration listings from the trackers are untrusted JSON: `poalign hooks` reads Jira's admin-webhook
list, ADO's subscription list and a subscription's notifications, and must never fail on, nor be
misled by, what comes back. Seeded mutations (fields dropped, nulled, retyped, huge, NUL, surrogates,
NaN, deep nesting) of listings shaped as the trackers document them: every reading is a list of
well-typed registrations, each one poalign's by its marker and with an id, or nothing."""

from __future__ import annotations

import random
from typing import Any

import pytest

from connectors.ado.hooks import last_failure, read_subscriptions
from connectors.base import Registration
from connectors.jira.hooks import read_webhooks
from testkit.hostile import budget
from testkit.hostile.mutation import ODD_VALUES, SEED, random_mutations

OURS_JIRA = "https://poalign.example.com/webhooks/jira/jira-acme"
OURS_ADO = "https://poalign.example.com/webhooks/azure-devops/ado-contoso"
PROJECT = "5039de40-1900-5658-a187-12b12f96e00f"

# Jira's admin webhook bean (Atlassian's "Webhooks" page; the DC REST resource): ours, and someone else's.
JIRA_LISTING: list[dict[str, Any]] = [
    {
        "self": "https://acme.atlassian.net/rest/webhooks/1.0/webhook/7",
        "name": "poalign jira-acme",
        "url": OURS_JIRA,
        "excludeBody": False,
        "filters": {"issue-related-events-section": 'project in ("PAY")'},
        "events": ["jira:issue_updated", "comment_created"],
        "enabled": True,
        "lastUpdatedUser": "admin",
        "lastUpdatedDisplayName": "Admin",
        "lastUpdated": 1_700_000_000_000,
    },
    {
        "self": "https://acme.atlassian.net/rest/webhooks/1.0/webhook/8",
        "name": "ci bot",
        "url": "https://ci.example.com/jira",
        "filters": {},
        "events": ["jira:issue_created"],
        "enabled": False,
    },
]
# ADO's Subscription (serviceHooks 7.1) in the {count, value} wrapper.
ADO_LISTING: dict[str, Any] = {
    "count": 2,
    "value": [
        {
            "id": "a1b2c3d4-0000-4000-8000-000000000001",
            "url": "https://dev.azure.com/contoso/_apis/hooks/subscriptions/a1b2c3d4-0000-4000-8000-000000000001",
            "status": "enabled",
            "publisherId": "tfs",
            "eventType": "workitem.updated",
            "resourceVersion": "1.0",
            "consumerId": "webHooks",
            "consumerActionId": "httpRequest",
            "publisherInputs": {"projectId": PROJECT, "tfsSubscriptionId": "x"},
            "consumerInputs": {
                "url": OURS_ADO,
                "basicAuthUsername": "poalign",
                "basicAuthPassword": "********",
            },
            "createdBy": {"id": "u1", "displayName": "Service"},
        },
        {
            "id": "a1b2c3d4-0000-4000-8000-000000000002",
            "status": "onProbation",
            "publisherId": "tfs",
            "eventType": "workitem.created",
            "consumerId": "webHooks",
            "consumerActionId": "httpRequest",
            "publisherInputs": {"projectId": PROJECT},
            "consumerInputs": {"url": "https://chat.example.com/hook"},
        },
    ],
}
NOTIFICATIONS: dict[str, Any] = {
    "count": 2,
    "value": [
        {"id": 12, "result": "failed", "status": "completed", "details": {"errorMessage": "(503)"}},
        {"id": 11, "result": "succeeded", "status": "completed", "details": {}},
    ],
}
ODD_DOCUMENTS: tuple[Any, ...] = (*(value for _, value in ODD_VALUES), {"value": None}, {"count": 1})


def well_typed(found: Any, marker: str) -> list[str]:
    problems: list[str] = []
    if not isinstance(found, list):
        return [f"not a list: {type(found).__name__}"]
    for registration in found:
        if not isinstance(registration, Registration):
            problems.append(f"not a Registration: {registration!r:.80}")
            continue
        for name in ("purpose", "name", "url", "scope", "id"):
            value = getattr(registration, name)
            if not isinstance(value, str) or not value.isprintable():
                problems.append(f"{name} is {value!r:.80}")
        if not registration.id:
            problems.append("no id")
        if not all(isinstance(event, str) and event for event in registration.events):
            problems.append(f"events {registration.events!r:.80}")
        if not isinstance(registration.enabled, bool):
            problems.append(f"enabled {registration.enabled!r}")
        if marker not in registration.url and not registration.name.startswith("poalign "):
            problems.append(f"someone else's registration read as ours: {registration.url!r:.80}")
    return problems


def test_the_unmutated_listings_read_as_documented() -> None:
    [jira] = read_webhooks(JIRA_LISTING, "jira-acme")
    assert (jira.id, jira.url, jira.scope, jira.enabled) == ("7", OURS_JIRA, 'project in ("PAY")', True)
    [ado] = read_subscriptions(ADO_LISTING, "ado-contoso", {PROJECT: "Project A"})
    assert (ado.purpose, ado.scope, ado.events) == (
        "Project A:workitem.updated",
        PROJECT,
        ("workitem.updated",),
    )
    assert last_failure(NOTIFICATIONS) == "the last delivery failed: (503)"


def test_seeded_mutations_of_registration_listings_never_fail_nor_mislead() -> None:
    rng = random.Random(SEED + 15)
    rounds = budget.size(400, 4_000)
    problems: list[str] = []
    cases = 0
    readers = (
        ("jira", JIRA_LISTING, lambda doc: read_webhooks(doc, "jira-acme"), "/webhooks/jira/jira-acme"),
        (
            "ado",
            ADO_LISTING,
            lambda doc: read_subscriptions(doc, "ado-contoso", {PROJECT: "Project A"}),
            "/webhooks/azure-devops/ado-contoso",
        ),
    )
    for kind, listing, read, marker in readers:
        for variant, _path, doc in random_mutations(rng, listing, rounds):
            cases += 1
            try:
                found = read(doc)
            except Exception as error:  # any exception is the defect being looked for
                problems.append(f"{kind} {variant}: {type(error).__name__}: {error}")
                continue
            problems += [f"{kind} {variant}: {p}" for p in well_typed(found, marker)]
        for odd in ODD_DOCUMENTS:
            cases += 1
            if read(odd) != []:
                problems.append(f"{kind}: a listing of {odd!r:.60} read as registrations")
    for variant, _path, doc in random_mutations(rng, NOTIFICATIONS, rounds // 2):
        cases += 1
        try:
            said = last_failure(doc)
        except Exception as error:
            problems.append(f"notifications {variant}: {type(error).__name__}: {error}")
            continue
        if said is not None and not (isinstance(said, str) and said.isprintable()):
            problems.append(f"notifications {variant}: said {said!r:.80}")
    assert not problems, f"{len(problems)} bad:\n" + "\n".join(problems[:60])
    budget.record("tracker.hooks", cases)


@pytest.mark.parametrize("url", ["", "not a url", "http://[::1", "https://x/webhooks/jira/jira-acme-other"])
def test_a_url_that_only_resembles_ours_is_not_ours(url: str) -> None:
    listing = [{**JIRA_LISTING[1], "url": url}]
    assert read_webhooks(listing, "jira-acme") == []
    subscription = {**ADO_LISTING["value"][0], "consumerInputs": {"url": url}}
    assert read_subscriptions([subscription], "ado-contoso", {}) == []
