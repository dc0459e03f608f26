"""The official `azure-devops` client, configured for us.

- Location discovery, api-version negotiation and auth stay the client's; its cache directory is
  per process unless AZURE_DEVOPS_CACHE_DIR is set (the variable is read at import time).
- msrest's retries are off and its timeout set: our policy retries (msrest never retries a 429 and
  hides the Retry-After header). `_send_request` is wrapped so a non-2xx answer becomes our error
  class with the status and headers intact.
- High-volume reads (WIQL, workitemsbatch) and the reporting-revisions feed (whose model in 7.1.0b4
  deserializes to all-None) go through the client's `_send` and read the wire JSON directly: msrest
  model deserialization costs more than the HTTP round trip at 200 items per call.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from collections.abc import Callable
from typing import Any, TypeVar

os.environ.setdefault("AZURE_DEVOPS_CACHE_DIR", tempfile.mkdtemp(prefix="poalign-ado-cache-"))

import requests
from azure.devops.connection import Connection
from azure.devops.v7_1.work.models import TeamContext
from msrest.authentication import BasicAuthentication
from msrest.exceptions import ClientRequestError

from connectors.ado.entra import EntraAuthentication, TokenRefused, tokens_for
from connectors.budget import budget_for
from connectors.errors import ADO_STATUS, AuthError, NotFoundError, TrackerError, TransportError, classify
from connectors.retry import CallStats, call_with_retry
from connectors.settings import SourceSettings
from connectors.unreachable import CONNECT_TIMEOUT_S, transport_failure

T = TypeVar("T")

WIQL = ("1a9c53f7-f243-4447-b110-35ef023636e4", "7.1-preview.2")
BATCH = ("908509b6-4248-4475-a1cd-829139ba419f", "7.1-preview.1")
WORK_ITEMS = ("72c7ddf8-2cdc-4f60-90cd-ab71c14a399b", "7.1-preview.3")
COMMENTS = ("608aac0a-32e1-4493-a863-b9cf4566d257", "7.1-preview.4")
UPDATES = ("6570bf97-d02c-4a91-8d93-3abe9895b1a9", "7.1-preview.3")
UPDATES_PAGE = 200
REPORTING_REVISIONS = ("f828fe59-dd87-495d-a17c-7a8d6211ca6c", "7.1-preview.2")
RECYCLE_BIN = ("b70d8d39-926c-465e-b927-b1bf0e5ca0e0", "7.1-preview.2")
TYPE_STATES = ("7c9d7a76-4a09-43e8-b5df-bd792f4ac6aa", "7.1-preview.1")
CLASSIFICATION_NODES = ("5a172953-1b41-49d3-840a-33f79c3ce89f", "7.1-preview.2")
TEAM_ITERATIONS = ("c9175577-28a1-4b06-9197-8636af9f64ad", "7.1-preview.1")
BACKLOG_CONFIGURATION = ("7799f497-3cb5-4f16-ad4f-5cd06012db64", "7.1-preview.1")
# Locations of the work (boards) area; every other one is work item tracking's.
_WORK_AREA = (TEAM_ITERATIONS, BACKLOG_CONFIGURATION)
MAX_BATCH = 200
MAX_WIQL_RESULTS = 20_000


class AdoClient:
    def __init__(self, settings: SourceSettings, stats: CallStats | None = None) -> None:
        self.settings = settings
        self.stats = stats or CallStats()
        self._local = threading.local()
        self._reached = False  # has the tracker answered once? Until then an unreachable URL is fatal
        self.budget = budget_for(settings.name, settings.url)
        entra = settings.credentials.entra
        self._tokens = tokens_for(settings.name, entra) if entra is not None else None

    # -- plumbing ---------------------------------------------------------------------------------
    def _configure(self, client: Any) -> Any:
        client.config.retry_policy.retries = 0
        # msrest lists every status >= 500 as "retry"; with zero retries urllib3 would raise on them and
        # hide the response (and its Retry-After). An empty list hands every response back to us.
        client.config.retry_policy.policy.status_forcelist = set()
        client.config.connection.timeout = (self._connect_timeout, self.settings.timeout_seconds)
        original = client._client.send

        def send_request(
            request: Any, headers: Any = None, content: Any = None, media_type: Any = None, **config: Any
        ) -> Any:
            self.stats.count_throttled(self.budget.before_request())
            self.stats.count_request()
            try:
                response = original(request=request, headers=headers, content=content, **config)
            except ClientRequestError as error:
                raise self._transport_failure(error) from None
            self._reached = True
            self.budget.after_response(response.status_code, response.headers)
            if not 200 <= response.status_code < 300 or response.status_code == 203:
                raise classify(
                    response.status_code,
                    _error_text(response),
                    ADO_STATUS,
                    dict(response.headers),
                    url=request.url,
                )
            return response

        client._send_request = send_request
        return client

    @property
    def _connect_timeout(self) -> float:
        return min(CONNECT_TIMEOUT_S, self.settings.timeout_seconds)

    def _transport_failure(self, error: BaseException) -> TrackerError:
        return transport_failure(
            error,
            tracker="Azure DevOps",
            url=self.settings.url,
            reached=self._reached,
            connect_timeout=self._connect_timeout,
        )

    def _clients(self) -> tuple[Any, Any]:
        clients = getattr(self._local, "clients", None)
        if clients is None:
            creds = (
                EntraAuthentication(self._tokens)
                if self._tokens is not None
                else BasicAuthentication("", self.settings.credentials.token)
            )
            connection = Connection(base_url=self.settings.url, creds=creds)
            # The connection builds its own clients for discovery (resource areas, locations) with
            # msrest's default retries. Its per-instance "fiddler" hook is called on every client it
            # creates, discovery ones included: that is where ours get configured.
            connection.use_fiddler = True
            connection._configure_client_for_fiddler = self._configure
            wit = connection.clients_v7_1.get_work_item_tracking_client()
            work = connection.clients_v7_1.get_work_client()
            clients = self._local.clients = (wit, work)
        return clients

    def call(self, describe: str, operation: Callable[[Any, Any], T], *, idempotent: bool = True) -> T:
        def run() -> T:
            try:
                return operation(*self._clients())
            except TrackerError:
                raise
            except (requests.ConnectionError, requests.Timeout, ClientRequestError) as error:
                raise self._transport_failure(error) from None
            except (ValueError, json.JSONDecodeError) as error:
                if "not registered" in str(error):  # location discovery did not list the API
                    raise
                raise TransportError(f"Azure DevOps sent a body that is not valid JSON ({error})") from None

        def run_with_a_fresh_token_after_401() -> T:
            try:
                return run()
            except TokenRefused:
                raise  # the token service said no: another token would be refused the same way
            except AuthError:
                if self._tokens is None:
                    raise
                # revoked or expired early: one new token and one more try, never a loop
                self._tokens.invalidate()
                return run()

        return call_with_retry(
            run_with_a_fresh_token_after_401,
            policy=self.settings.retry,
            stats=self.stats,
            describe=f"{self.settings.name}: {describe}",
            idempotent=idempotent,
        )

    def send(
        self,
        describe: str,
        method: str,
        location: tuple[str, str],
        *,
        route: dict[str, Any],
        query: dict[str, Any] | None = None,
        body: Any = None,
        media_type: str = "application/json",
        idempotent: bool = True,
    ) -> Any:
        location_id, version = location

        def run(wit: Any, work: Any) -> Any:
            client = work if location in _WORK_AREA else wit
            response = client._send(
                http_method=method,
                location_id=location_id,
                version=version,
                route_values=route,
                query_parameters=query,
                content=body,
                media_type=media_type,
            )
            return response.json() if response.content else None

        return self.call(describe, run, idempotent=idempotent)

    # -- reads ------------------------------------------------------------------------------------
    def wiql_ids(self, project: str, query: str, top: int = MAX_WIQL_RESULTS) -> list[int]:
        body = self.send(
            f"WIQL in {project}",
            "POST",
            WIQL,
            route={"project": project},
            query={"timePrecision": "true", "$top": top},
            body={"query": query},
        )
        return [int(ref["id"]) for ref in (body or {}).get("workItems") or []]

    def work_items(self, project: str, ids: list[int]) -> list[dict[str, Any]]:
        """Up to 200 work items with relations (fields and $expand cannot be combined: all fields come)."""
        if len(ids) > MAX_BATCH:
            raise ValueError(f"workitemsbatch takes at most {MAX_BATCH} ids, got {len(ids)}")
        body = self.send(
            f"batch of {len(ids)} in {project}",
            "POST",
            BATCH,
            route={"project": project},
            body={"ids": ids, "$expand": "Relations", "errorPolicy": "Omit"},
        )
        return [item for item in (body or {}).get("value") or [] if item]

    def work_item(self, project: str, item_id: int) -> dict[str, Any] | None:
        try:
            item: dict[str, Any] | None = self.send(
                f"read {item_id}",
                "GET",
                WORK_ITEMS,
                route={"project": project, "id": item_id},
                query={"$expand": "Relations"},
            )
            return item
        except TrackerError as error:
            if error.status == 404:
                return None
            raise

    def deleted_ids(self, project: str) -> list[int]:
        body = self.send(f"recycle bin of {project}", "GET", RECYCLE_BIN, route={"project": project})
        values = body.get("value") if isinstance(body, dict) else body
        return [int(entry["id"]) for entry in values or [] if entry.get("id") is not None]

    def type_states(self, project: str, work_item_type: str) -> list[dict[str, Any]]:
        body = self.send(
            f"states of {work_item_type}",
            "GET",
            TYPE_STATES,
            route={"project": project, "type": work_item_type},
        )
        return list((body or {}).get("value") or [])

    def backlog_configuration(self, project: str) -> dict[str, Any]:
        """Which work item types are the project's portfolio, requirement and task levels, whatever the
        process calls them (the project's default team's view)."""
        try:
            body = self.send(
                f"backlog configuration of {project}",
                "GET",
                BACKLOG_CONFIGURATION,
                route={"project": project},
            )
        except TrackerError as error:
            if error.status == 404:  # a server without backlogs: the type names must tell
                return {}
            raise
        return body if isinstance(body, dict) else {}

    def iteration_tree(self, project: str, depth: int = 10) -> dict[str, Any]:
        return (
            self.send(
                f"iterations of {project}",
                "GET",
                CLASSIFICATION_NODES,
                route={"project": project, "structureGroup": "iterations"},
                query={"$depth": depth},
            )
            or {}
        )

    def team_capacity(self, project: str, team: str, iteration_id: str) -> Any:
        """The team's capacity for one iteration (the official client's TeamCapacity model); None when
        the tracker knows no such team or iteration."""
        try:
            return self.call(
                f"capacity of {team} in {iteration_id}",
                lambda wit, work: work.get_capacities_with_identity_ref_and_totals(
                    TeamContext(project=project, team=team), iteration_id
                ),
            )
        except NotFoundError:
            return None

    # -- writes (write-back) ----------------------------------------------------------------------
    def comments(self, project: str, item_id: int) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        token: str | None = None
        while True:
            query: dict[str, Any] = {"$top": 200}
            if token:
                query["continuationToken"] = token
            page = (
                self.send(
                    f"comments of {item_id}",
                    "GET",
                    COMMENTS,
                    route={"project": project, "workItemId": item_id},
                    query=query,
                )
                or {}
            )
            found += list(page.get("comments") or [])
            token = page.get("continuationToken")
            if not token:
                return found

    def updates(self, project: str, item_id: int) -> list[dict[str, Any]]:
        """Every update of a work item, oldest first (GET workItems/{id}/updates, paged by $top/$skip);
        none for an item deleted since it was read."""
        found: list[dict[str, Any]] = []
        while True:
            try:
                page = self.send(
                    f"updates of {item_id}",
                    "GET",
                    UPDATES,
                    route={"project": project, "id": item_id},
                    query={"$top": UPDATES_PAGE, "$skip": len(found)},
                )
            except TrackerError as error:
                if error.status == 404:
                    return found
                raise
            values = list((page or {}).get("value") or [])
            found += values
            if len(values) < UPDATES_PAGE:
                return found

    def add_comment(self, project: str, item_id: int, text: str) -> str:
        created = self.send(
            f"comment on {item_id}",
            "POST",
            COMMENTS,
            route={"project": project, "workItemId": item_id},
            query={"format": "markdown"},
            body={"text": text},
            idempotent=False,  # a lost answer may hide a created comment: the writer looks first
        )
        return str(created["id"])

    def update_comment(self, project: str, item_id: int, comment_id: str, text: str) -> None:
        self.send(
            f"edit comment {comment_id} on {item_id}",
            "PATCH",
            COMMENTS,
            route={"project": project, "workItemId": item_id, "commentId": comment_id},
            query={"format": "markdown"},
            body={"text": text},
        )

    def delete_comment(self, project: str, item_id: int, comment_id: str) -> None:
        self.send(
            f"delete comment {comment_id} on {item_id}",
            "DELETE",
            COMMENTS,
            route={"project": project, "workItemId": item_id, "commentId": comment_id},
        )

    def patch_work_item(self, project: str, item_id: int, operations: list[dict[str, Any]]) -> dict[str, Any]:
        return (
            self.send(
                f"update {item_id}",
                "PATCH",
                WORK_ITEMS,
                route={"project": project, "id": item_id},
                body=operations,
                media_type="application/json-patch+json",
            )
            or {}
        )

    def reporting_revisions(
        self,
        project: str,
        continuation_token: str | None,
        start: str | None = None,
        *,
        fields: tuple[str, ...] = (),
        latest_only: bool = False,
    ) -> dict[str, Any]:
        """One page of the reporting revisions feed: {values, continuationToken, isLastBatch}."""
        query: dict[str, Any] = {"includeDeleted": "true", "$maxPageSize": 1000}
        if fields:
            query["fields"] = ",".join(fields)
        if latest_only:
            query["includeLatestOnly"] = "true"
        if continuation_token:
            query["continuationToken"] = continuation_token
        elif start:
            query["startDateTime"] = start
        return (
            self.send(
                f"revisions feed of {project}",
                "GET",
                REPORTING_REVISIONS,
                route={"project": project},
                query=query,
            )
            or {}
        )


def _error_text(response: Any) -> str:
    try:
        body = response.json()
    except ValueError:
        return (response.text or "").strip()[:300]
    if isinstance(body, dict):
        return str(body.get("message") or body)[:300]
    return str(body)[:300]
