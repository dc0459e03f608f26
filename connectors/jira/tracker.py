"""Jira (Cloud and Data Center) as a registered tracker kind."""

from __future__ import annotations

from connectors.base import Tracker
from connectors.jira.hooks import JiraHooks
from connectors.jira.render import JiraRenderer
from connectors.jira.sync import JiraConnector
from connectors.jira.webhook import JiraWebhooks
from connectors.jira.writeback import JiraWriter

JIRA = Tracker(
    kind="jira",
    reader=JiraConnector,
    writer=JiraWriter.for_source,
    webhooks=JiraWebhooks(),
    renderer=JiraRenderer(),
    # Jira Cloud's and Data Center's default priority schemes.
    priority_scale={
        "highest": 1,
        "blocker": 1,
        "high": 2,
        "critical": 2,
        "medium": 3,
        "major": 3,
        "low": 4,
        "minor": 4,
        "lowest": 5,
        "trivial": 5,
    },
    item_url_path=r"/(?:browse|rest/api/\d+/issue|rest/agile/[\d.]+/issue)/([A-Za-z][A-Za-z0-9_]*-\d+)",
    scope_keys=frozenset({"jql"}),
    deployments=("cloud", "datacenter"),
    basic_auth_without_user=(
        "Jira basic auth needs the account e-mail in auth.user_env ({user_env}); "
        "or use scheme: bearer with a Data Center PAT"
    ),
    # scoped-token: Cloud's scoped API tokens and service accounts, through the api.atlassian.com gateway;
    # oauth: an OAuth 2.0 (3LO) app's rotating refresh token (connectors.jira.oauth), the same gateway
    auth_schemes=frozenset({"basic", "bearer", "scoped-token", "oauth"}),
    hooks=JiraHooks.for_source,
)
