"""Write-back to Jira: our comments (found again by their marker) and our labels, nothing else.

Bodies arrive rendered (connectors.jira.render: ADF for Cloud, wiki markup for Data Center).
"""

from __future__ import annotations

from typing import Any

from connectors.annotations import fingerprint_in, post_once
from connectors.jira.client import JiraClient
from connectors.jira.render import adf_text

PROPERTY = "poalign"


class JiraWriter:
    def __init__(self, client: JiraClient) -> None:
        self.client = client

    @property
    def cloud(self) -> bool:
        return self.client.is_cloud

    def our_comments(self, key: str, project: str | None) -> dict[str, str]:
        """fingerprint → comment id for the comments poalign wrote on this issue."""
        found: dict[str, str] = {}
        for comment in self.client.comments(key):
            body = comment.get("body")
            text = adf_text(body) if isinstance(body, dict) else str(body or "")
            fingerprint = fingerprint_in(text)
            if fingerprint:
                found.setdefault(fingerprint, str(comment["id"]))
        return found

    def post(self, key: str, project: str | None, body: Any, fingerprint: str) -> str:
        comment_id = post_once(
            lambda: self.client.add_comment(key, body),
            lambda: self.our_comments(key, project).get(fingerprint),
        )
        # The property lets other tools (and a future poalign) recognise the comment without parsing it.
        self.client.set_comment_property(comment_id, PROPERTY, {"fingerprint": fingerprint})
        return comment_id

    def edit(self, key: str, project: str | None, comment_id: str, body: Any) -> None:
        self.client.update_comment(key, comment_id, body)

    def delete(self, key: str, project: str | None, comment_id: str) -> None:
        self.client.delete_comment(key, comment_id)

    def labels(self, key: str, project: str | None, add: list[str], remove: list[str]) -> None:
        self.client.update_labels(key, add, remove)
