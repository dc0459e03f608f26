"""Webhook intake: verify the raw body, store it once in the durable inbox, answer 202. Nothing else.

Processing happens later (service.jobs drains the inbox), so a slow tracker or evaluation never makes
Jira or ADO time out and retry. Refused requests store nothing. Bad input gets a 4xx, never a 5xx.
Floods get 429 with Retry-After: per client address before the body is read, per source after the
signature is verified (service.api.ratelimit; limits in each source's `webhook` config).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError

from connectors.ado import webhook as ado
from connectors.jira import webhook as jira
from connectors.parsing import WebhookPayloadError
from connectors.records import WebhookEvent
from service.api.deps import RuntimeDep
from service.api.ratelimit import retry_after
from service.config.schema import WebhookConfig
from service.logs import get_logger
from service.runtime import Runtime

log = get_logger(__name__)
router = APIRouter(prefix="/webhooks", tags=["webhooks"])


_DEFAULT_HOOK = WebhookConfig()


class _Refused(Exception):
    def __init__(
        self, status: int, message: str, outcome: str, headers: dict[str, str] | None = None
    ) -> None:
        self.status, self.message, self.outcome, self.headers = status, message, outcome, headers


def _limit_client(runtime: Runtime, source: str, hook: WebhookConfig | None, request: Request) -> None:
    """Every request from one address to one source, before anything else is done with it."""
    hook = hook or _DEFAULT_HOOK
    address = request.client.host if request.client else "unknown"
    wait = runtime.webhook_limits.client(
        source, address, hook.client_rate_limit_per_second, hook.client_burst
    )
    if wait:
        raise _Refused(
            429,
            "too many requests from this address; retry later",
            "rate_limited",
            {"Retry-After": retry_after(wait)},
        )


def _limit_source(runtime: Runtime, source: str, hook: WebhookConfig | None) -> None:
    """Verified deliveries of one source (unsigned junk never uses up the real tracker's allowance)."""
    hook = hook or _DEFAULT_HOOK
    wait = runtime.webhook_limits.source(source, hook.rate_limit_per_second, hook.burst)
    if wait:
        raise _Refused(
            429,
            "too many deliveries for this source; retry later",
            "rate_limited",
            {"Retry-After": retry_after(wait)},
        )


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
    # a flood must not become a flood of log lines: the metric counts every 429
    (log.debug if refused.status == 429 else log.warning)(
        "webhook.refused", source=source, status=refused.status, reason=refused.message
    )
    return JSONResponse({"error": refused.message}, status_code=refused.status, headers=refused.headers)


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
        _limit_client(runtime, source, config.webhook, request)
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
        _limit_source(runtime, source, config.webhook)
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
        _limit_client(runtime, source, hook, request)
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
        _limit_source(runtime, source, hook)
        try:
            event = ado.parse(body)
        except WebhookPayloadError as error:
            raise _Refused(400, str(error), "malformed") from None
    except _Refused as refused:
        return _refusal(runtime, source, refused)
    return await _accept(runtime, source, event, request, body)


@router.post("/{path:path}", status_code=404, include_in_schema=False)
async def no_such_webhook(path: str) -> JSONResponse:
    """Anything else under /webhooks: say where deliveries go instead of a bare 'Not Found'."""
    return JSONResponse(
        {
            "error": f"no webhook route /webhooks/{path}: deliveries go to "
            "/webhooks/jira/{source} or /webhooks/azure-devops/{source}"
        },
        status_code=404,
    )
