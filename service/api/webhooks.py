"""Webhook intake: verify the raw body, store it once in the durable inbox, answer 202. Nothing else.

Processing happens later (service.jobs drains the inbox), so a slow tracker or evaluation never makes
Jira or ADO time out and retry. Refused requests store nothing. Bad input gets a 4xx, never a 5xx.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError

from connectors.ado import webhook as ado
from connectors.jira import webhook as jira
from connectors.webhooks import WebhookEvent, WebhookPayloadError
from service.api.deps import RuntimeDep
from service.logs import get_logger
from service.runtime import Runtime

log = get_logger(__name__)
router = APIRouter(prefix="/webhooks", tags=["webhooks"])


class _Refused(Exception):
    def __init__(self, status: int, message: str, outcome: str) -> None:
        self.status, self.message, self.outcome = status, message, outcome


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise _Refused(400, "invalid Content-Length", "malformed")
        if int(declared) > limit:
            raise _Refused(413, f"body larger than {limit} bytes", "too_large")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _Refused(413, f"body larger than {limit} bytes", "too_large")
        chunks.append(chunk)
    return b"".join(chunks)


def _refusal(runtime: Runtime, source: str, refused: _Refused) -> JSONResponse:
    runtime.metrics.webhooks.labels(source, refused.outcome).inc()
    log.warning("webhook.refused", source=source, status=refused.status, reason=refused.message)
    return JSONResponse({"error": refused.message}, status_code=refused.status)


async def _accept(
    runtime: Runtime, source: str, event: WebhookEvent, request: Request, body: bytes
) -> JSONResponse:
    try:
        new = await runtime.intake.store(
            runtime.context.source_ids[source],
            event.delivery_id,
            event.event_type,
            dict(request.headers),
            body,
        )
    except SQLAlchemyError as error:
        log.error("webhook.store_failed", source=source, error=type(error).__name__)
        runtime.metrics.webhooks.labels(source, "unavailable").inc()
        return JSONResponse(
            {"error": "cannot store the delivery right now; retry"},
            status_code=503,
            headers={"Retry-After": "5"},
        )
    if new:
        runtime.on_event()
    outcome = "accepted" if new else "duplicate"
    runtime.metrics.webhooks.labels(source, outcome).inc()
    return JSONResponse(
        {"accepted": True, "duplicate": not new, "delivery": event.delivery_id}, status_code=202
    )


@router.post("/jira/{source}", status_code=202, summary="Receive a Jira webhook (X-Hub-Signature, sha256)")
async def jira_webhook(source: str, request: Request, runtime: RuntimeDep) -> JSONResponse:
    config = runtime.source(source, "jira")
    if config is None:
        return JSONResponse({"error": f"no jira source named {source!r}"}, status_code=404)
    try:
        body = await _read_body(request, config.webhook.max_body_bytes if config.webhook else 1_000_000)
        secret = runtime.secret(config.webhook.secret_env if config.webhook else None)
        if not secret:
            log.error(
                "webhook.no_secret",
                source=source,
                hint="deliveries are refused until webhook.secret_env names a set variable",
            )
            raise _Refused(
                401, "this source has no webhook secret configured; deliveries are refused", "refused"
            )
        if not jira.verify_signature(secret, body, request.headers.get("x-hub-signature")):
            raise _Refused(401, "missing or wrong X-Hub-Signature", "refused")
        try:
            event = jira.parse(body, request.headers)
        except WebhookPayloadError as error:
            raise _Refused(400, str(error), "malformed") from None
    except _Refused as refused:
        return _refusal(runtime, source, refused)
    return await _accept(runtime, source, event, request, body)


@router.post("/azure-devops/{source}", status_code=202, summary="Receive an Azure DevOps service hook")
async def ado_webhook(source: str, request: Request, runtime: RuntimeDep) -> JSONResponse:
    config = runtime.source(source, "azure-devops")
    if config is None:
        return JSONResponse({"error": f"no azure-devops source named {source!r}"}, status_code=404)
    hook = config.webhook
    try:
        body = await _read_body(request, hook.max_body_bytes if hook else 1_000_000)
        password = runtime.secret(hook.password_env) if hook else None
        header_secret = runtime.secret(hook.secret_env) if hook and hook.header else None
        if not password and not header_secret:
            log.error(
                "webhook.no_secret",
                source=source,
                hint="set webhook.username_env/password_env (basic auth) or header + secret_env",
            )
            raise _Refused(
                401, "this source has no webhook credentials configured; deliveries are refused", "refused"
            )
        trusted = (
            password
            and ado.verify_basic(
                runtime.secret(hook.username_env) if hook else None,
                password,
                request.headers.get("authorization"),
            )
        ) or (
            header_secret
            and hook
            and hook.header
            and ado.verify_header(header_secret, request.headers.get(hook.header))
        )
        if not trusted:
            raise _Refused(401, "missing or wrong credentials", "refused")
        try:
            event = ado.parse(body)
        except WebhookPayloadError as error:
            raise _Refused(400, str(error), "malformed") from None
    except _Refused as refused:
        return _refusal(runtime, source, refused)
    return await _accept(runtime, source, event, request, body)
