"""The official `jira` client, configured for us: our retry policy (its own is off), timeouts on every
call, one client per worker thread, raw JSON instead of Resource objects on the hot paths, and every
failure translated into our error classes from one status table."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any, TypeVar

import requests
from jira import JIRA, JIRAError

from connectors.errors import JIRA_STATUS, TrackerError, TransportError, classify
from connectors.retry import CallStats, call_with_retry
from connectors.settings import SourceSettings

T = TypeVar("T")


class JiraClient:
    def __init__(self, settings: SourceSettings, stats: CallStats | None = None) -> None:
        self.settings = settings
        self.stats = stats or CallStats()
        self._local = threading.local()

    # -- plumbing ---------------------------------------------------------------------------------
    def _new_client(self) -> JIRA:
        creds = self.settings.credentials
        auth: dict[str, Any] = (
            {"token_auth": creds.token}
            if creds.scheme == "bearer"
            else {"basic_auth": (creds.user or "", creds.token)}
        )
        client = JIRA(
            server=self.settings.url,
            max_retries=0,  # retries are ours: bounded, jittered, no minute-long sleeps
            timeout=(min(10.0, self.settings.timeout_seconds), self.settings.timeout_seconds),
            get_server_info=True,  # needed: it is how the client learns Cloud vs DC (and /search vs /search/jql)
            **auth,
        )
        client._session.hooks["response"].append(lambda response, *args, **kwargs: self.stats.count_request())
        return client

    def jira(self) -> JIRA:
        client = getattr(self._local, "client", None)
        if client is None:

            def construct() -> JIRA:
                self.stats.count_request()  # construction's serverInfo call happens before our hook exists
                return self._translate(self._new_client)

            client = call_with_retry(
                construct,
                policy=self.settings.retry,
                stats=self.stats,
                describe=f"{self.settings.name}: connect",
            )
            self._local.client = client
        return client

    @staticmethod
    def _translate(operation: Callable[[], T]) -> T:
        try:
            return operation()
        except JIRAError as error:
            response = getattr(error, "response", None)
            headers = dict(response.headers) if response is not None else {}
            status = error.status_code or (response.status_code if response is not None else 0)
            message = _error_text(error.text or (response.text if response is not None else ""))
            raise classify(status, message, JIRA_STATUS, headers, url=error.url) from None
        except (
            requests.ConnectionError,
            requests.Timeout,
            requests.exceptions.ChunkedEncodingError,
        ) as error:
            raise TransportError(f"cannot talk to Jira: {type(error).__name__}") from None
        except (ValueError, json.JSONDecodeError) as error:  # truncated or non-JSON body
            raise TransportError(f"Jira sent a body that is not valid JSON ({error})") from None

    def call(self, describe: str, operation: Callable[[JIRA], T], *, idempotent: bool = True) -> T:
        return call_with_retry(
            lambda: self._translate(lambda: operation(self.jira())),
            policy=self.settings.retry,
            stats=self.stats,
            describe=f"{self.settings.name}: {describe}",
            idempotent=idempotent,
        )

    def _url(self, path: str, version: str = "2") -> str:
        return f"{self.settings.url.rstrip('/')}/rest/api/{version}/{path.lstrip('/')}"

    def _json(
        self,
        method: str,
        path: str,
        describe: str,
        *,
        version: str = "2",
        idempotent: bool = True,
        **kwargs: Any,
    ) -> Any:
        def run(client: JIRA) -> Any:
            response = client._session.request(method, self._url(path, version), **kwargs)
            return response.json() if response.content else None

        return self.call(describe, run, idempotent=idempotent)

    # -- writes (write-back) ----------------------------------------------------------------------
    @property
    def comment_api(self) -> str:
        """Cloud takes ADF bodies on API v3; Data Center has only v2 (wiki markup)."""
        return "3" if self.is_cloud else "2"

    def comments(self, key: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        start = 0
        while True:
            page = (
                self._json(
                    "GET",
                    f"issue/{key}/comment",
                    f"comments of {key}",
                    version=self.comment_api,
                    params={"startAt": start, "maxResults": 100},
                )
                or {}
            )
            batch = list(page.get("comments") or [])
            found += batch
            start += len(batch)
            if not batch or start >= int(page.get("total") or 0):
                return found

    def add_comment(self, key: str, body: Any) -> str:
        created = self._json(
            "POST",
            f"issue/{key}/comment",
            f"comment on {key}",
            version=self.comment_api,
            idempotent=False,  # a lost answer may hide a created comment: the writer looks first
            data=json.dumps({"body": body}),
        )
        return str(created["id"])

    def update_comment(self, key: str, comment_id: str, body: Any) -> None:
        self._json(
            "PUT",
            f"issue/{key}/comment/{comment_id}",
            f"edit comment {comment_id} on {key}",
            version=self.comment_api,
            data=json.dumps({"body": body}),
        )

    def delete_comment(self, key: str, comment_id: str) -> None:
        self._json(
            "DELETE",
            f"issue/{key}/comment/{comment_id}",
            f"delete comment {comment_id} on {key}",
            version=self.comment_api,
        )

    def set_comment_property(self, comment_id: str, name: str, value: Any) -> None:
        self._json(
            "PUT",
            f"comment/{comment_id}/properties/{name}",
            f"mark comment {comment_id}",
            data=json.dumps(value),
        )

    def update_labels(self, key: str, add: list[str], remove: list[str]) -> None:
        """Add and remove only the given labels: the team's own labels are never sent."""
        operations = [{"add": label} for label in add] + [{"remove": label} for label in remove]
        if operations:
            self._json(
                "PUT", f"issue/{key}", f"labels of {key}", data=json.dumps({"update": {"labels": operations}})
            )

    # -- reads ------------------------------------------------------------------------------------
    @property
    def is_cloud(self) -> bool:
        """What the client itself decided from serverInfo: it routes searches by it (/search/jql vs /search)."""
        return bool(self.jira()._is_cloud)

    def fields(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self._json("GET", "field", "list fields")
        return found

    def link_types(self) -> list[dict[str, Any]]:
        body = self._json("GET", "issueLinkType", "list link types")
        return list((body or {}).get("issueLinkTypes") or [])

    def time_zone(self) -> str | None:
        """JQL dates are read in the searching user's zone; /myself says which."""
        me = self._json("GET", "myself", "read the account")
        return (me or {}).get("timeZone")

    def search_cloud(
        self, jql: str, fields: list[str], max_results: int, token: str | None
    ) -> tuple[list[dict[str, Any]], str | None]:
        """One /search/jql page (Cloud): the issues and the next page's token (None on the last page)."""
        body = self.call(
            f"search/jql {jql!r}",
            lambda client: client.enhanced_search_issues(
                jql, nextPageToken=token, maxResults=max_results, fields=list(fields), json_result=True
            ),
        )
        return list(body.get("issues") or []), (body.get("nextPageToken") or None) if not body.get(
            "isLast"
        ) else None

    def search_dc(
        self, jql: str, fields: list[str], start_at: int, max_results: int
    ) -> tuple[list[dict[str, Any]], int, int]:
        """One /search page (Data Center): the issues, the total, and the page size the server used."""
        body = self.call(
            f"search {jql!r} at {start_at}",
            lambda client: client.search_issues(
                jql,
                startAt=start_at,
                maxResults=max_results,
                fields=list(fields),
                json_result=True,
                validate_query=False,
            ),
        )
        issues = list(body.get("issues") or [])
        return issues, int(body.get("total") or 0), int(body.get("maxResults") or max_results)

    def issue(self, key: str, fields: list[str]) -> dict[str, Any] | None:
        """One issue's JSON, or None when it no longer exists (deleted or moved out of reach)."""
        try:
            issue: dict[str, Any] | None = self._json(
                "GET", f"issue/{key}", f"read {key}", params={"fields": ",".join(fields)}
            )
            return issue
        except TrackerError as error:
            if error.status == 404:
                return None
            raise

    def remote_links(self, key: str) -> list[dict[str, Any]]:
        return list(self._json("GET", f"issue/{key}/remotelink", f"remote links of {key}") or [])

    def project_versions(self, project: str) -> list[dict[str, Any]]:
        return list(self._json("GET", f"project/{project}/versions", f"versions of {project}") or [])


def _error_text(text: str) -> str:
    """Jira error bodies are {"errorMessages": [...], "errors": {...}}; keep them short and readable."""
    try:
        body = json.loads(text)
    except (TypeError, ValueError):
        return (text or "").strip()[:300]
    if not isinstance(body, dict):
        return str(body)[:300]
    messages = list(body.get("errorMessages") or []) + [
        f"{k}: {v}" for k, v in (body.get("errors") or {}).items()
    ]
    return "; ".join(str(m) for m in messages)[:300]
