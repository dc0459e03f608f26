"""Azure DevOps service-hook subscriptions (`_apis/hooks/subscriptions`, api-version 7.1-preview.1):
publisher `tfs`, consumer `webHooks`, action `httpRequest`, one subscription per project and event
(workitem.created/updated/deleted/restored/commented), each posting to .../webhooks/azure-devops/<source>
with the basic-auth credentials (or the custom header) connectors.ado.webhook checks.

Managing subscriptions needs the ServiceHooks permissions "View subscriptions", "Edit subscriptions"
and "Delete subscriptions" (Project Administrators and Project Collection Administrators have them) and, for a PAT, the scope "Service
Hooks (Read & write)". Subscriptions have no name: poalign's are the ones whose URL ends with its
route for the source. The listing masks `basicAuthPassword`, so credentials are sent, never compared.
The calls go through the `azure-devops` client's session (connectors.ado.client), like every other.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from connectors.ado.client import AdoClient
from connectors.ado.webhook import EVENTS
from connectors.base import HookChange, HookTarget, Registration
from connectors.errors import TrackerError
from connectors.hooks import apply, call_explained, entries, is_ours, mapping, plan, text, with_id
from connectors.settings import SourceSettings

SUBSCRIPTIONS = ("fc50d02a-849f-41fb-8af1-0a5216103269", "7.1-preview.1")
NOTIFICATIONS = ("0c62d343-21b0-4732-997b-017fde84dc28", "7.1-preview.1")
PROJECTS = ("603fe2ac-9723-48b9-88ad-09305aa6c6e1", "7.1-preview.4")
PUBLISHER, CONSUMER, ACTION = "tfs", "webHooks", "httpRequest"
ORDERED_EVENTS = tuple(sorted(EVENTS))
PERMISSION = (
    "the account needs the Azure DevOps service-hook permissions 'View subscriptions', 'Edit subscriptions' "
    "and 'Delete subscriptions' (Project Administrators have them)"
)
CREDENTIALS = (
    "Azure DevOps rejected the credentials; check auth.token_env, and that the PAT has the scope "
    "'Service Hooks (Read & write)'"
)
STATUS_PROBLEMS = {
    "onProbation": "Azure DevOps put the subscription on probation: deliveries failed and are retried less often",
    "disabledBySystem": "Azure DevOps disabled the subscription after deliveries kept failing",
    "disabledByUser": "someone disabled the subscription in Azure DevOps",
    "disabledByInactiveIdentity": "Azure DevOps disabled the subscription: its owner is inactive or lost permissions",
}


def subscription_id(value: Any) -> str | None:
    return text(mapping(value).get("id"), 100)


def read_subscriptions(body: Any, source: str, project_names: dict[str, str]) -> list[Registration]:
    """poalign's webhook subscriptions of this source among a listing (untrusted JSON). `project_names`
    maps project id → name, for the purpose `<project>:<event>` (an unknown id stands for itself)."""
    found: list[Registration] = []
    for entry in entries(body):
        consumer = mapping(entry.get("consumerInputs"))
        url = text(consumer.get("url")) or ""
        ident = subscription_id(entry)
        event = text(entry.get("eventType"), 100)
        if not ident or not event or not is_ours(url, "azure-devops", source):
            continue
        if (text(entry.get("publisherId"), 100), text(entry.get("consumerId"), 100)) != (PUBLISHER, CONSUMER):
            continue
        project_id = text(mapping(entry.get("publisherInputs")).get("projectId"), 100) or ""
        project = project_names.get(project_id.lower(), project_id)
        status = text(entry.get("status"), 100) or "enabled"
        found.append(
            Registration(
                purpose=f"{project}:{event}",
                name=f"poalign {source}: {event} in {project}",
                url=url,
                events=(event,),
                scope=project_id.lower(),
                id=ident,
                enabled=status == "enabled",
                problem=None if status == "enabled" else STATUS_PROBLEMS.get(status, f"status {status}"),
            )
        )
    return found


def last_failure(body: Any) -> str | None:
    """What the newest of a subscription's notifications says when it failed (untrusted JSON)."""
    newest: tuple[int, dict[str, Any]] | None = None
    for entry in entries(body):
        number = entry.get("id")
        if (
            isinstance(number, int)
            and not isinstance(number, bool)
            and (newest is None or number > newest[0])
        ):
            newest = (number, entry)
    if newest is None or text(newest[1].get("result"), 50) != "failed":
        return None
    details = mapping(newest[1].get("details"))
    why = text(details.get("errorMessage"), 300) or text(details.get("response"), 300) or "no detail given"
    return f"the last delivery failed: {why}"


class AdoHooks:
    """connectors.base.HookRegistrar for an Azure DevOps source."""

    def __init__(self, settings: SourceSettings) -> None:
        self.settings = settings
        self.client = AdoClient(settings)
        self._project_ids: dict[str, str] = {}

    @classmethod
    def for_source(cls, settings: SourceSettings) -> AdoHooks:
        return cls(settings)

    def _send(self, describe: str, method: str, location: tuple[str, str], **kwargs: Any) -> Any:
        kwargs.setdefault("route", {})
        return call_explained(
            lambda: self.client.send(describe, method, location, **kwargs),
            f"{describe} ({method} {self.settings.url}/_apis/hooks)",
            PERMISSION,
            CREDENTIALS,
        )

    def project_id(self, project: str) -> str:
        if project not in self._project_ids:
            try:
                found = self.client.send(f"project {project}", "GET", PROJECTS, route={"projectId": project})
            except TrackerError as error:
                if error.status == 404:
                    raise TrackerError(
                        f"project {project!r} is not in {self.settings.url} (teams[].scope.project)",
                        status=404,
                    ) from None
                raise
            ident = text(mapping(found).get("id"), 100)
            if not ident:
                raise TrackerError(f"Azure DevOps named no id for project {project!r}")
            self._project_ids[project] = ident.lower()
        return self._project_ids[project]

    def desired(self, target: HookTarget) -> list[Registration]:
        source = self.settings.name
        return [
            Registration(
                purpose=f"{project}:{event}",
                name=f"poalign {source}: {event} in {project}",
                url=target.url,
                events=(event,),
                scope=self.project_id(project),
            )
            for project in sorted(target.projects)
            for event in ORDERED_EVENTS
        ]

    def registered(self) -> list[Registration]:
        body = self._send(
            "list service-hook subscriptions",
            "GET",
            SUBSCRIPTIONS,
            query={"publisherId": PUBLISHER, "consumerId": CONSUMER, "consumerActionId": ACTION},
        )
        for project in self.settings.projects:  # to name the purposes; a project gone stands for its id
            try:
                self.project_id(project)
            except TrackerError as error:
                if error.status != 404:
                    raise
        names = {ident: project for project, ident in self._project_ids.items()}
        return read_subscriptions(body, self.settings.name, names)

    def _body(self, registration: Registration, target: HookTarget) -> dict[str, Any]:
        consumer: dict[str, str] = {
            "url": registration.url,
            "resourceDetailsToSend": "all",
            "messagesToSend": "none",
            "detailedMessagesToSend": "none",
        }
        secrets = target.secrets
        if secrets.password:
            consumer["basicAuthUsername"] = secrets.username or ""
            consumer["basicAuthPassword"] = secrets.password
        if secrets.header and secrets.secret:
            consumer["httpHeaders"] = f"{secrets.header}:{secrets.secret}"
        return {
            "publisherId": PUBLISHER,
            "eventType": registration.events[0],
            "resourceVersion": "1.0",
            "consumerId": CONSUMER,
            "consumerActionId": ACTION,
            "publisherInputs": {"projectId": registration.scope},
            "consumerInputs": consumer,
            "status": "enabled",
        }

    def install(self, target: HookTarget, *, force: bool = False) -> list[HookChange]:
        wanted = self.desired(target)  # first: it learns the project ids the listing is read with
        steps = plan(wanted, self.registered(), force=force)

        def create(want: Registration) -> Registration:
            answer = self._send(
                f"subscribe to {want.events[0]}",
                "POST",
                SUBSCRIPTIONS,
                body=self._body(want, target),
                idempotent=False,  # a lost answer may hide a created subscription: the next install finds it
            )
            return with_id(want, answer, subscription_id)

        def update(want: Registration, have: Registration) -> Registration:
            body = {**self._body(want, target), "id": have.id}
            answer = self._send(
                f"update subscription {have.id}",
                "PUT",
                SUBSCRIPTIONS,
                route={"subscriptionId": have.id},
                body=body,
            )
            return with_id(want, answer, subscription_id, have.id)

        return apply(steps, create=create, update=update, delete=self._delete)

    def _delete(self, have: Registration) -> None:
        self._send(
            f"delete subscription {have.id}", "DELETE", SUBSCRIPTIONS, route={"subscriptionId": have.id}
        )

    def remove(self) -> list[HookChange]:
        changes = []
        for have in self.registered():
            self._delete(have)
            changes.append(HookChange("deleted", have))
        return changes

    def problems(self, registrations: Sequence[Registration]) -> list[Registration]:
        checked = []
        for registration in registrations:
            if registration.problem is None:
                body = self._send(
                    f"notifications of subscription {registration.id}",
                    "GET",
                    NOTIFICATIONS,
                    route={"subscriptionId": registration.id},
                    query={"maxResults": 5},
                )
                registration = replace(registration, problem=last_failure(body))
            checked.append(registration)
        return checked
