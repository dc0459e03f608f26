"""Write-back to Jira: our comments (found again by their marker) and our labels, nothing else.

Bodies arrive as connectors.jira.render wrote them: ADF as JSON text for Cloud, wiki markup for Data
Center; Cloud's API v3 takes the ADF document itself.
"""

from __future__ import annotations

import json
from typing import Any

from connectors.annotations import fingerprint_in, post_once
from connectors.jira.client import JiraClient
from connectors.jira.render import adf_text
from connectors.settings import SourceSettings

PROPERTY = "poalign"


class JiraWriter:
    def __init__(self, client: JiraClient) -> None:
        self.client = client

    @classmethod
    def for_source(cls, settings: SourceSettings) -> JiraWriter:
        return cls(JiraClient(settings))

    @property
    def deployment(self) -> str:
        """cloud or datacenter, as the site's serverInfo says (asked once per thread)."""
        return "cloud" if self.client.is_cloud else "datacenter"

    def _wire(self, body: str) -> Any:
        return json.loads(body) if self.client.is_cloud else body

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

    def post(self, key: str, project: str | None, body: str, fingerprint: str) -> str:
        wire = self._wire(body)
        comment_id = post_once(
            lambda: self.client.add_comment(key, wire),
            lambda: self.our_comments(key, project).get(fingerprint),
        )
        # The property lets other tools (and a future poalign) recognise the comment without parsing it.
        self.client.set_comment_property(comment_id, PROPERTY, {"fingerprint": fingerprint})
        return comment_id

    def edit(self, key: str, project: str | None, comment_id: str, body: str) -> None:
        self.client.update_comment(key, comment_id, self._wire(body))

    def delete(self, key: str, project: str | None, comment_id: str) -> None:
        self.client.delete_comment(key, comment_id)

    def labels(self, key: str, project: str | None, add: list[str], remove: list[str]) -> None:
        self.client.update_labels(key, add, remove)
