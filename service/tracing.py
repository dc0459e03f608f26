"""OpenTelemetry traces of poalign's units of work: a sync and each source's part of it, evaluations,
annotation (plan and delivery), webhook intake and the inbox drain.

Opt-in through the standard variables: tracing is on when OTEL_TRACES_EXPORTER names an exporter
(otlp, console) or, with it unset, when an OTLP endpoint is set (OTEL_EXPORTER_OTLP_ENDPOINT or
OTEL_EXPORTER_OTLP_TRACES_ENDPOINT); OTEL_SDK_DISABLED=true or OTEL_TRACES_EXPORTER=none keep it
off. The SDK reads the rest itself (OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES, OTEL_TRACES_SAMPLER,
OTEL_EXPORTER_OTLP_HEADERS, OTEL_BSP_*...). Off, nothing of the SDK or an exporter is imported and
span() hands back one shared object that does nothing.

The provider is ours, not the global one: only these spans are exported (FastAPI's own request
telemetry, which follows the global provider, stays off), so what leaves the process is what this
module is given: source names, tracker kinds, counts, HTTP statuses, delivery ids, exception types.
Never a secret or tracker text: no exception messages, summaries or comment bodies.
"""

from __future__ import annotations

import contextvars
import functools
import os
import sys
from collections.abc import Callable, Mapping
from typing import Any, ParamSpec, TypeVar

EXPORTERS = ("otlp", "console", "none")
PROTOCOL = "http/protobuf"  # the one OTLP transport installed (no gRPC stack)

P = ParamSpec("P")
T = TypeVar("T")
Attribute = str | bool | int | float

_tracer: Any = None
_provider: Any = None


class TracingConfigError(ValueError):
    """An OTEL_* variable asks for something poalign cannot export."""


def _env(name: str) -> str:
    return os.environ.get(name, "").strip()


def exporters_wanted() -> list[str]:
    """The exporters the environment asks for; empty when tracing stays off."""
    if _env("OTEL_SDK_DISABLED").lower() == "true":
        return []
    named = [name.strip().lower() for name in _env("OTEL_TRACES_EXPORTER").split(",") if name.strip()]
    unknown = [name for name in named if name not in EXPORTERS]
    if unknown:
        raise TracingConfigError(
            f"OTEL_TRACES_EXPORTER={_env('OTEL_TRACES_EXPORTER')!r}: poalign exports traces with "
            f"{', '.join(EXPORTERS)}, not {', '.join(unknown)}"
        )
    if not named and (_env("OTEL_EXPORTER_OTLP_ENDPOINT") or _env("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")):
        named = ["otlp"]
    wanted = [name for name in dict.fromkeys(named) if name != "none"]
    if "otlp" in wanted:
        for variable in ("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"):
            protocol = _env(variable)
            if protocol and protocol != PROTOCOL:
                raise TracingConfigError(
                    f"{variable}={protocol!r}: poalign sends OTLP over HTTP only; set it to {PROTOCOL} "
                    "(the collector's HTTP port, 4318 by default) or unset it"
                )
            if protocol:
                break
    return wanted


def setup() -> bool:
    """Install the exporters the environment asks for, once per process. True when tracing is on."""
    global _tracer, _provider
    if _tracer is not None:
        return True
    wanted = exporters_wanted()
    if not wanted:
        return False
    from importlib.metadata import version

    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter

    poalign_version = version("poalign")
    defaults: dict[str, Attribute] = {"service.version": poalign_version}
    named = _env("OTEL_SERVICE_NAME") or "service.name=" in _env("OTEL_RESOURCE_ATTRIBUTES")
    if not named:  # the SDK's default would be 'unknown_service'; the variables win over this
        defaults["service.name"] = "poalign"
    provider = TracerProvider(resource=Resource.create(defaults))  # flushes at interpreter exit
    for name in wanted:
        exporter: SpanExporter
        if name == "otlp":
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            exporter = OTLPSpanExporter()
        else:
            exporter = ConsoleSpanExporter(out=sys.stderr)  # stdout carries the commands' output
        provider.add_span_processor(BatchSpanProcessor(exporter))
    _provider, _tracer = provider, provider.get_tracer("poalign", poalign_version)
    return True


def shutdown() -> None:
    """Export what is buffered and stop (also done at interpreter exit)."""
    global _tracer, _provider
    if _provider is not None:
        _provider.shutdown()
    _tracer = _provider = None


def _attributes(values: Mapping[str, Any]) -> dict[str, Attribute]:
    """poalign.<name> unless the name is namespaced already (http.response.status_code); None dropped."""
    return {
        (key if "." in key else f"poalign.{key}"): value
        for key, value in values.items()
        if isinstance(value, str | bool | int | float)
    }


class _NoSpan:
    """What span() gives while tracing is off: every call does nothing."""

    def __enter__(self) -> _NoSpan:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *_exc: object) -> None:
        return None

    def record(self, **_attributes: Any) -> None:
        return None

    def fail(self, _reason: str) -> None:
        return None

    def discard(self) -> None:
        return None


NO_SPAN = _NoSpan()


class Span(_NoSpan):
    """One unit of work, current while its block runs (spans opened inside become its children)."""

    def __init__(self, name: str, attributes: Mapping[str, Any]) -> None:
        self._name, self._start_attributes = name, _attributes(attributes)
        self._span: Any = None
        self._token: Any = None
        self._kept = True

    def __enter__(self) -> Span:
        from opentelemetry import context, trace

        self._span = _tracer.start_span(self._name, attributes=self._start_attributes)
        self._token = context.attach(trace.set_span_in_context(self._span))
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *_exc: object) -> None:
        from opentelemetry import context

        context.detach(self._token)
        if exc_type is not None:  # the type only: an exception's message may quote a tracker or a secret
            self._span.set_attribute("error.type", f"{exc_type.__module__}.{exc_type.__qualname__}")
            self.fail(exc_type.__name__)
        if self._kept:
            self._span.end()

    def record(self, **attributes: Any) -> None:
        self._span.set_attributes(_attributes(attributes))

    def fail(self, reason: str) -> None:
        """Mark the span failed; `reason` is a fixed phrase or a type name, never a message."""
        from opentelemetry.trace import Status, StatusCode

        self._span.set_status(Status(StatusCode.ERROR, reason))

    def discard(self) -> None:
        """Export nothing of this span (a span that is never ended is never exported): for rounds that
        found no work, such as a drain every few seconds of an empty inbox."""
        self._kept = False


def span(name: str, **attributes: Any) -> _NoSpan:
    """`with span("sync.source", source=name) as s: ... s.record(items=n)`."""
    return NO_SPAN if _tracer is None else Span(name, attributes)


def record(**attributes: Any) -> None:
    """Add attributes to the span current in this context (one of ours), if any."""
    if _tracer is None:
        return
    from opentelemetry import trace

    current = trace.get_current_span()
    if current.is_recording():
        current.set_attributes(_attributes(attributes))


def failed(reason: str) -> None:
    """Mark the current span failed (a fixed phrase or a type name, never a message)."""
    if _tracer is None:
        return
    from opentelemetry import trace
    from opentelemetry.trace import Status, StatusCode

    current = trace.get_current_span()
    if current.is_recording():
        current.set_status(Status(StatusCode.ERROR, reason))


def traced(
    name: str, result: Callable[[Any], Mapping[str, Any]] | None = None
) -> Callable[[Callable[P, T]], Callable[P, T]]:
    """Run the function in a span; `result` turns what it returns into attributes (counts)."""

    def wrap(function: Callable[P, T]) -> Callable[P, T]:
        @functools.wraps(function)
        def inner(*args: P.args, **kwargs: P.kwargs) -> T:
            if _tracer is None:
                return function(*args, **kwargs)
            with Span(name, {}) as current:
                returned = function(*args, **kwargs)
                if result is not None:
                    current.record(**result(returned))
                return returned

        return inner

    return wrap


def carried(function: Callable[P, T]) -> Callable[P, T]:
    """`function`, to run in another thread as a child of the span current here (a thread pool does not
    carry context variables). Copy once per submission: one context cannot run in two threads."""
    if _tracer is None:
        return function
    run_in = contextvars.copy_context()

    def inner(*args: P.args, **kwargs: P.kwargs) -> T:
        return run_in.run(function, *args, **kwargs)

    return inner
