"""The official `jira` client, configured for us: our retry policy (its own is off), timeouts on every
call, one client per worker thread (none of them asks serverInfo: the source asks it once), raw JSON
through the client's session instead of Resource objects and search helpers, and every failure
translated into our error classes from one status table."""

from __future__ import annotations

import json
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import requests
from jira import JIRA, JIRAError

from connectors.budget import budget_for
from connectors.errors import (
    JIRA_STATUS,
    AuthError,
    BadRequestError,
    TrackerError,
    TransportError,
    classify,
)
from connectors.jira.oauth import BearerFromTokens, GrantRefused, OAuthTokens, tokens_for
from connectors.retry import CallStats, call_with_retry
from connectors.settings import SourceSettings
from connectors.unreachable import CONNECT_TIMEOUT_S, transport_failure

T = TypeVar("T")
_CLOUD_ID = re.compile(r"[0-9A-Za-z-]{1,64}")
CHANGELOG_PAGES_KEPT = 512  # full changelog pages remembered per client (a few issues with long histories)


class JiraClient:
    def __init__(self, settings: SourceSettings, stats: CallStats | None = None) -> None:
        self.settings = settings
        self.stats = stats or CallStats()
        self._local = threading.local()
        self._server_info: dict[str, Any] | None = None
        self._server_info_lock = threading.Lock()
        self._reached = False  # has the tracker answered once? Until then an unreachable URL is fatal
        self.budget = budget_for(settings.name, settings.url)
        self._api_base: str | None = None  # where API calls go: the site, or the gateway for its cloud id
        self._api_base_lock = threading.Lock()
        oauth = settings.credentials.oauth
        self.oauth: OAuthTokens | None = (
            tokens_for(settings.name, oauth, settings.timeout_seconds) if oauth is not None else None
        )
        # Full changelog pages read (key, startAt, maxResults → histories, total): older histories never
        # change, and the web-link choice and the plan history may both need the same page of an issue.
        self._changelog_pages: OrderedDict[tuple[str, int, int], tuple[list[dict[str, Any]], int]] = (
            OrderedDict()
        )
        self._changelog_lock = threading.Lock()

    # -- plumbing ---------------------------------------------------------------------------------
    def _new_client(self) -> JIRA:
        creds = self.settings.credentials
        auth: dict[str, Any] = (
            {}  # oauth: the session signs each request with the current access token (below)
            if self.oauth is not None
            else {"token_auth": creds.token}
            if creds.scheme == "bearer"
            else {"basic_auth": (creds.user or "", creds.token)}
        )
        client = JIRA(
            server=self.settings.url,
            max_retries=0,  # retries are ours: bounded, jittered, no minute-long sleeps
            timeout=(self._connect_timeout, self.settings.timeout_seconds),
            # Construction would ask serverInfo once per worker client; server_info() asks once per
            # source, and our own requests (not the client's search helpers) route by it.
            get_server_info=False,
            **auth,
        )
        if self.oauth is not None:
            client._session.auth = BearerFromTokens(self.oauth)
        client._session.hooks["response"].append(self._answered)
        return client

    @property
    def _connect_timeout(self) -> float:
        return min(CONNECT_TIMEOUT_S, self.settings.timeout_seconds)

    def _answered(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        self._reached = True
        self.stats.count_request()
        self.budget.after_response(response.status_code, response.headers)

    def _attempt(self, operation: Callable[[JIRA], T]) -> T:
        self.stats.count_throttled(self.budget.before_request())
        return self._translate(lambda: operation(self.jira()))

    def jira(self) -> JIRA:
        """This thread's client (a requests session is not shared across threads); making one sends nothing."""
        client = getattr(self._local, "client", None)
        if client is None:
            client = self._new_client()
            self._local.client = client
        return client

    def _translate(self, operation: Callable[[], T]) -> T:
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
            raise transport_failure(
                error,
                tracker="Jira",
                url=self.settings.url,
                reached=self._reached,
                connect_timeout=self._connect_timeout,
            ) from None
        except (ValueError, json.JSONDecodeError) as error:  # truncated or non-JSON body
            raise TransportError(f"Jira sent a body that is not valid JSON ({error})") from None

    def call(self, describe: str, operation: Callable[[JIRA], T], *, idempotent: bool = True) -> T:
        def with_a_fresh_token_after_401() -> T:
            try:
                return self._attempt(operation)
            except GrantRefused:
                raise  # the token endpoint said no: another token would be refused the same way
            except AuthError as error:
                if self.oauth is None or error.status != 401:
                    raise
                # expired or revoked early: forget the token sent, one more try with another, never a loop
                self.oauth.invalidate_sent()
                return self._attempt(operation)

        return call_with_retry(
            with_a_fresh_token_after_401,
            policy=self.settings.retry,
            stats=self.stats,
            describe=f"{self.settings.name}: {describe}",
            idempotent=idempotent,
        )

    def _url(self, path: str, version: str = "2") -> str:
        return f"{self.api_base()}/rest/api/{version}/{path.lstrip('/')}"

    def api_base(self) -> str:
        """The site URL; with scoped tokens and service accounts, `{gateway}/ex/jira/{cloudId}`, the
        cloud id read once from the site's public `/_edge/tenant_info`. Browse links stay on the site."""
        with self._api_base_lock:
            if self._api_base is None:
                site = self.settings.url.rstrip("/")
                gateway = self.settings.credentials.gateway_url
                if gateway and self.oauth is not None:
                    self._api_base = f"{gateway}/ex/jira/{self._accessible_cloud_id(site, gateway)}"
                else:
                    self._api_base = f"{gateway}/ex/jira/{self._cloud_id(site)}" if gateway else site
            return self._api_base

    def _cloud_id(self, site: str) -> str:
        def read(client: JIRA) -> Any:
            response = client._session.get(f"{site}/_edge/tenant_info")
            return response.json() if response.content else None

        found = self.call("read the site's cloud id", read) or {}
        cloud_id = found.get("cloudId") if isinstance(found, dict) else None
        # it becomes a path segment of every API URL: a UUID and nothing that could leave the path
        if not isinstance(cloud_id, str) or not _CLOUD_ID.fullmatch(cloud_id):
            raise BadRequestError(
                f"{site}/_edge/tenant_info named no usable cloudId: scoped-token is for Jira Cloud sites; "
                "check the source's url (the site, e.g. https://acme.atlassian.net)"
            )
        return cloud_id

    def _accessible_cloud_id(self, site: str, gateway: str) -> str:
        """OAuth (3LO): the cloud id of the site among the grant's `accessible-resources`."""

        def read(client: JIRA) -> Any:
            response = client._session.get(f"{gateway}/oauth/token/accessible-resources")
            return response.json() if response.content else None

        found = self.call("read the grant's accessible resources", read)
        resources = [r for r in found if isinstance(r, dict)] if isinstance(found, list) else []
        for resource in resources:
            cloud_id = resource.get("id")
            same_site = str(resource.get("url") or "").rstrip("/") == site
            # it becomes a path segment of every API URL: a UUID and nothing that could leave the path
            if same_site and isinstance(cloud_id, str) and _CLOUD_ID.fullmatch(cloud_id):
                return cloud_id
        names = ", ".join(str(r.get("url")) for r in resources) or "none"
        raise BadRequestError(
            f"the OAuth grant of source {self.settings.name} does not reach {site} (it reaches: {names}): "
            "check the source's url, or authorise the app on that site"
        )

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
    def server_info(self) -> dict[str, Any]:
        """GET serverInfo, once for all worker threads: it says Cloud or Data Center."""
        with self._server_info_lock:
            if self._server_info is None:
                self._server_info = dict(self._json("GET", "serverInfo", "read server info") or {})
            return self._server_info

    @property
    def is_cloud(self) -> bool:
        """Cloud pages /search/jql by token; Data Center pages /search by offset."""
        return self.server_info().get("deploymentType") == "Cloud"

    def fields(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self._json("GET", "field", "list fields")
        return found

    def time_zone(self) -> str | None:
        """JQL dates are read in the searching user's zone; /myself says which."""
        me = self._json("GET", "myself", "read the account")
        return (me or {}).get("timeZone")

    # Searches are POSTed: a detail page's `key in (...)` list of a thousand keys does not fit a URL.
    def search_cloud(
        self, jql: str, fields: list[str], max_results: int, token: str | None, expand: Sequence[str] = ()
    ) -> tuple[list[dict[str, Any]], str | None]:
        """One /search/jql page (Cloud): the issues and the next page's token (None on the last page)."""
        body: dict[str, Any] = {"jql": jql, "fields": list(fields), "maxResults": max_results}
        if token:
            body["nextPageToken"] = token
        if expand:
            body["expand"] = ",".join(expand)
        page = self._json("POST", "search/jql", f"search/jql {_short(jql)}", data=json.dumps(body)) or {}
        token = None if page.get("isLast") else (page.get("nextPageToken") or None)
        return list(page.get("issues") or []), token

    def search_dc(
        self, jql: str, fields: list[str], start_at: int, max_results: int, expand: Sequence[str] = ()
    ) -> tuple[list[dict[str, Any]], int, int]:
        """One /search page (Data Center): the issues, the total, and the page size the server used."""
        body: dict[str, Any] = {
            "jql": jql,
            "startAt": start_at,
            "maxResults": max_results,
            "fields": list(fields),
            "validateQuery": False,
        }
        if expand:
            body["expand"] = list(expand)
        page = (
            self._json("POST", "search", f"search {_short(jql)} at {start_at}", data=json.dumps(body)) or {}
        )
        issues = list(page.get("issues") or [])
        return issues, int(page.get("total") or 0), int(page.get("maxResults") or max_results)

    def issue(self, key: str, fields: list[str], expand: Sequence[str] = ()) -> dict[str, Any] | None:
        """One issue's JSON, or None when it no longer exists (deleted or moved out of reach)."""
        params = {"fields": ",".join(fields)}
        if expand:
            params["expand"] = ",".join(expand)
        try:
            issue: dict[str, Any] | None = self._json("GET", f"issue/{key}", f"read {key}", params=params)
            return issue
        except TrackerError as error:
            if error.status == 404:
                return None
            raise

    def changelog_page(
        self, key: str, start_at: int, max_results: int
    ) -> tuple[list[dict[str, Any]], int] | None:
        """Histories of an issue, oldest first, and their total (Cloud's GET issue/KEY/changelog); None
        where there is no such page: Data Center has no such endpoint, and a deleted issue none either.
        A full page read before is not asked again (histories are only ever appended)."""
        wanted = (key, start_at, max_results)
        with self._changelog_lock:
            if wanted in self._changelog_pages:
                return self._changelog_pages[wanted]
        try:
            page = self._json(
                "GET",
                f"issue/{key}/changelog",
                f"changelog of {key}",
                params={"startAt": start_at, "maxResults": max_results},
            )
        except TrackerError as error:
            if error.status == 404:
                return None
            raise
        found = list((page or {}).get("values") or []), int((page or {}).get("total") or 0)
        if len(found[0]) == max_results:
            with self._changelog_lock:
                self._changelog_pages[wanted] = found
                while len(self._changelog_pages) > CHANGELOG_PAGES_KEPT:
                    self._changelog_pages.popitem(last=False)
        return found

    def remote_links(self, key: str) -> list[dict[str, Any]]:
        """The issue's web links; none for an issue deleted since it was listed."""
        try:
            return list(self._json("GET", f"issue/{key}/remotelink", f"remote links of {key}") or [])
        except TrackerError as error:
            if error.status == 404:
                return []
            raise

    def site_list(self, path: str) -> list[dict[str, Any]]:
        """One of the site's own lists (issuetype, status, priority, resolution), in the site's order;
        empty when the account may not read it (403) or the server has no such list (404): the
        normalizer then falls back on what each issue says and on the config."""
        try:
            found = self._json("GET", path, f"list {path}")
        except TrackerError as error:
            if error.status in (403, 404):
                return []
            raise
        return [entry for entry in found if isinstance(entry, dict)] if isinstance(found, list) else []

    def project_versions(self, project: str) -> list[dict[str, Any]]:
        return list(self._json("GET", f"project/{project}/versions", f"versions of {project}") or [])


def _short(jql: str) -> str:
    return repr(jql if len(jql) <= 120 else jql[:117] + "...")


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
