"""Webhook intake: verify the raw body, store it once in the durable inbox, answer 202. Nothing else.

One route per registered tracker kind, `/webhooks/<kind>/{source}`, served by that kind's receiver
(connectors.base.WebhookReceiver), which also parses the delivery: its event is stored with the body,
so the drain never parses it again. Processing happens later (service.jobs drains the inbox), so a slow
tracker or evaluation never makes the tracker time out and retry. Refused requests store nothing. Bad
input gets a 4xx, never a 5xx. Floods get 429 with Retry-After: per client address before the body is
read, per source after the signature is verified (service.webhook_limits; limits in each source's
`webhook` config).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError

from connectors.base import WebhookSecrets
from connectors.parsing import WebhookPayloadError
from connectors.records import WebhookEvent
from connectors.registry import kinds, tracker
from service import tracing
from service.api.deps import RuntimeDep
from service.config.schema import WebhookConfig
from service.logs import get_logger
from service.runtime import Runtime
from service.store.inbox_writer import Pending
from service.webhook_limits import retry_after

log = get_logger(__name__)


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
            Pending(
                runtime.context.source_ids[source],
                event.delivery_id,
                event.event_type,
                event.to_json(),
                dict(request.headers),
                body,
            )
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
    tracing.record(delivery_id=event.delivery_id, event_type=event.event_type, duplicate=not new)
    runtime.metrics.webhooks.labels(source, outcome).inc()
    return JSONResponse(
        {"accepted": True, "duplicate": not new, "delivery": event.delivery_id}, status_code=202
    )


def _secrets(runtime: Runtime, hook: WebhookConfig | None) -> WebhookSecrets:
    if hook is None:
        return WebhookSecrets()
    return WebhookSecrets(
        secret=runtime.secret(hook.secret_env),
        username=runtime.secret(hook.username_env),
        password=runtime.secret(hook.password_env),
        header=hook.header,
    )


async def _receive(kind: str, source: str, request: Request, runtime: Runtime) -> JSONResponse:
    """One delivery to a source of `kind`: limit, read, verify, parse, store."""
    config = runtime.source(source, kind)
    if config is None:
        return JSONResponse({"error": f"no {kind} source named {source!r}"}, status_code=404)
    receiver = tracker(kind).webhooks
    hook = config.webhook
    try:
        _limit_client(runtime, source, hook, request)
        body = await _read_body(request, hook.max_body_bytes if hook else 1_000_000)
        refusal = receiver.verify(body, request.headers, _secrets(runtime, hook))
        if refusal is not None:
            if refusal.hint:
                log.error("webhook.no_secret", source=source, hint=refusal.hint)
            raise _Refused(401, refusal.reason, "refused")
        _limit_source(runtime, source, hook)
        try:
            event = receiver.parse(body, request.headers)
        except WebhookPayloadError as error:
            raise _Refused(400, str(error), "malformed") from None
    except _Refused as refused:
        return _refusal(runtime, source, refused)
    return await _accept(runtime, source, event, request, body)


def _route(kind: str) -> Callable[[str, Request, Runtime], Awaitable[JSONResponse]]:
    async def route(source: str, request: Request, runtime: RuntimeDep) -> JSONResponse:
        with tracing.span("webhook.intake", source=source, kind=kind) as span:
            response = await _receive(kind, source, request, runtime)
            span.record(**{"http.response.status_code": response.status_code})
            return response

    return route


def webhook_router() -> APIRouter:
    """/webhooks/<kind>/{source} for every kind registered now, and a 404 naming them for the rest."""
    router = APIRouter(prefix="/webhooks", tags=["webhooks"])
    for kind in kinds():
        router.add_api_route(
            f"/{kind}/{{source}}",
            _route(kind),
            methods=["POST"],
            status_code=202,
            summary=tracker(kind).webhooks.summary,
            name=f"{kind.replace('-', '_')}_webhook",
        )
    routes = " or ".join(f"/webhooks/{kind}/{{source}}" for kind in kinds())

    async def no_such_webhook(path: str) -> JSONResponse:
        """Anything else under /webhooks: say where deliveries go instead of a bare 'Not Found'."""
        return JSONResponse(
            {"error": f"no webhook route /webhooks/{path}: deliveries go to {routes}"}, status_code=404
        )

    router.add_api_route(
        "/{path:path}", no_such_webhook, methods=["POST"], status_code=404, include_in_schema=False
    )
    return router
