"""Writes to a sandbox Jira site, with Jira's side effects.

Each write bumps the issue's ``updated`` (when Jira does), records a changelog history, bumps
cache versions (the issue's and its neighbours': links, parents and sub-tasks embed its summary
and status) and returns the webhook events Jira would send. The REST handlers and the admin
API both go through here, so a scripted change looks exactly like one made through the API.

Jira quirks kept on purpose: issue and comment properties do not change ``updated``; a remote link
records a ``RemoteIssueLink`` history item and moves ``updated`` as its site option says (see
``remote_links``); changing a sprint's dates or a version's release date changes no issue either.

One module per kind of write; this package is what the REST handlers and the scripts call
(``ops.edit_issue(...)``).
"""

from __future__ import annotations

from .changelog import JiraEvent, JiraOpError
from .comments_links import add_comment, create_link, delete_comment, delete_link, edit_comment, find_comment
from .issue_edit import edit_issue, transition
from .lifecycle import create_issue, delete_issue, next_key
from .remote_links import delete_remote_link, put_remote_link, update_remote_link
from .sprints import create_sprint, move_to_sprint, update_sprint, update_version

__all__ = [
    "JiraEvent",
    "JiraOpError",
    "add_comment",
    "create_issue",
    "create_link",
    "create_sprint",
    "delete_comment",
    "delete_issue",
    "delete_link",
    "delete_remote_link",
    "edit_comment",
    "edit_issue",
    "find_comment",
    "move_to_sprint",
    "next_key",
    "put_remote_link",
    "transition",
    "update_remote_link",
    "update_sprint",
    "update_version",
]
