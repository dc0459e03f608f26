"""Write-back to Azure DevOps: our markdown comments (found again by their marker) and our tags.

Bodies arrive rendered (connectors.ado.render.markdown).

Tags live in one field ("a; b; c"). A JSON Patch `add` only appends, so changing the set means
reading the item, computing the new list and writing it with `replace`, guarded by a `test` of the
revision we read: if someone changed the item meanwhile, ADO answers 412 and we read again.
"""

from __future__ import annotations

from connectors.ado.client import AdoClient
from connectors.annotations import fingerprint_in, post_once
from connectors.errors import ConflictError, TrackerError
from connectors.settings import SourceSettings

MAX_TAG_ATTEMPTS = 5


class AdoWriter:
    deployment = None  # one kind of Azure DevOps as far as comments go

    def __init__(self, client: AdoClient) -> None:
        self.client = client

    @classmethod
    def for_source(cls, settings: SourceSettings) -> AdoWriter:
        return cls(AdoClient(settings))

    def our_comments(self, key: str, project: str | None) -> dict[str, str]:
        assert project is not None
        found: dict[str, str] = {}
        for comment in self.client.comments(project, int(key)):
            if comment.get("isDeleted"):
                continue
            fingerprint = fingerprint_in(str(comment.get("text") or ""))
            if fingerprint:
                found.setdefault(fingerprint, str(comment["id"]))
        return found

    def post(self, key: str, project: str | None, body: str, fingerprint: str) -> str:
        assert project is not None
        return post_once(
            lambda: self.client.add_comment(project, int(key), body),
            lambda: self.our_comments(key, project).get(fingerprint),
        )

    def edit(self, key: str, project: str | None, comment_id: str, body: str) -> None:
        assert project is not None
        self.client.update_comment(project, int(key), comment_id, body)

    def delete(self, key: str, project: str | None, comment_id: str) -> None:
        assert project is not None
        self.client.delete_comment(project, int(key), comment_id)

    def labels(self, key: str, project: str | None, add: list[str], remove: list[str]) -> None:
        if not add and not remove:
            return
        assert project is not None
        for _attempt in range(MAX_TAG_ATTEMPTS):
            item = self.client.work_item(project, int(key))
            if item is None:
                return  # deleted meanwhile: nothing to tag
            current = [
                tag.strip()
                for tag in str((item.get("fields") or {}).get("System.Tags") or "").split(";")
                if tag.strip()
            ]
            lowered = {tag.lower() for tag in current}
            gone = {tag.lower() for tag in remove}
            wanted = [tag for tag in current if tag.lower() not in gone]
            wanted += [tag for tag in add if tag.lower() not in lowered]
            if wanted == current:
                return
            try:
                self.client.patch_work_item(
                    project,
                    int(key),
                    [
                        {"op": "test", "path": "/rev", "value": item.get("rev")},
                        {"op": "replace", "path": "/fields/System.Tags", "value": "; ".join(wanted)},
                    ],
                )
                return
            except ConflictError:
                continue  # changed since we read it: read again and reapply our change only
        raise TrackerError(f"tags of {key}: the item kept changing during {MAX_TAG_ATTEMPTS} attempts")
