"""Logging: structlog console or JSON lines (POALIGN_LOG_FORMAT), with every known secret value redacted everywhere.

Secrets come only from environment variables named in the config. Their values are registered here at
start-up and replaced by '***' in structlog events and in stdlib log records (uvicorn, urllib3, clients).
"""

from __future__ import annotations

import logging
import os
import re
import sys
from collections.abc import Iterable, MutableMapping
from typing import Any

import structlog

REDACTED = "***"
_secrets: set[str] = set()
_pattern: re.Pattern[str] | None = None
# Credentials that may appear in text we did not put there (headers echoed in errors, URLs with passwords).
_GENERIC = re.compile(
    r"(?i)(authorization[\"']?\s*[:=]\s*[\"']?(?:basic|bearer)\s+)[A-Za-z0-9+/=._~-]+"
    r"|(://[^/\s:@]+:)[^@\s/]+(@)"
)


def register_secrets(values: Iterable[str | None]) -> None:
    """Remember secret values (4+ characters) so no log line can carry them."""
    global _pattern
    _secrets.update(value for value in values if value and len(value) >= 4)
    if _secrets:
        _pattern = re.compile("|".join(re.escape(s) for s in sorted(_secrets, key=len, reverse=True)))


def redact(text: str) -> str:
    if _pattern is not None:
        text = _pattern.sub(REDACTED, text)
    return _GENERIC.sub(lambda m: (m.group(1) or m.group(2)) + REDACTED + (m.group(3) or ""), text)


def _redact_value(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {key: _redact_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_redact_value(item) for item in value)
    if isinstance(value, BaseException):
        return redact(f"{type(value).__name__}: {value}")
    return value


def _redact_processor(_logger: Any, _name: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for key, value in list(event.items()):
        event[key] = _redact_value(value)
    return event


class _RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, dict):  # a structlog event: _redact_processor sees its values
            return True
        message = record.getMessage()
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


class _CurrentStderr:
    """Whatever sys.stderr is at write time (test runners and daemons swap it; a bound one may be closed)."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()

    def isatty(self) -> bool:
        return sys.stderr.isatty()


FORMAT_VARIABLE = "POALIGN_LOG_FORMAT"
FORMATS = ("json", "console")


class LogFormatError(ValueError):
    """POALIGN_LOG_FORMAT holds a value that is not one of FORMATS."""


def log_format(stream: Any = None) -> str:
    """POALIGN_LOG_FORMAT, or by default console for a person at a terminal and JSON for whatever
    collects the output of a service (a container runtime, systemd, a file)."""
    value = os.environ.get(FORMAT_VARIABLE, "").strip().lower()
    if not value:
        isatty = getattr(stream or sys.stderr, "isatty", None)
        return "console" if isatty is not None and isatty() else "json"
    if value not in FORMATS:
        raise LogFormatError(
            f"{FORMAT_VARIABLE}={os.environ[FORMAT_VARIABLE]!r} is not a log format; use one of: "
            + ", ".join(FORMATS)
        )
    return value


def configure(level: str = "INFO", json: bool | None = None, stream: Any = None) -> None:
    """Set up structlog and the stdlib root logger so every line (ours, Alembic's, uvicorn's, the
    clients') is written to stderr in one format, redacted. `json` None: as log_format() says."""
    stream = stream or _CurrentStderr()
    rendered_json = log_format(stream) == "json" if json is None else json
    # Lines from stdlib loggers (Alembic, uvicorn, urllib3...) get the same fields as ours before the
    # shared tail of processors renders both.
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    renderer: Any = (
        structlog.processors.JSONRenderer() if rendered_json else structlog.dev.ConsoleRenderer(colors=False)
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            # tracebacks become text here, so the redaction after them sees what they carry
            structlog.processors.format_exc_info,
            _redact_processor,
            renderer,
        ],
    )
    handler = logging.StreamHandler(stream)
    handler.addFilter(_RedactingFilter())
    handler.setFormatter(formatter)
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level.upper())
    for noisy in ("urllib3", "msrest", "azure", "jira", "httpx", "httpcore", "apscheduler"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.stdlib.LoggerFactory(),
        cache_logger_on_first_use=False,
    )


def uvicorn_logging() -> dict[str, Any]:
    """Route uvicorn's loggers to the root handler configure() set up, and return the uvicorn.run/Config
    arguments that keep it so: no handlers or format of its own (log_config=None), the root's level,
    and the access log only when INFO is wanted (a line per request would be most of the work at a
    webhook burst's rate). Also undoes the handlers an earlier uvicorn.Config in this process (the
    demo's sandbox) installed."""
    access = logging.getLogger().isEnabledFor(logging.INFO)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi"):
        logger = logging.getLogger(name)
        logger.handlers = []
        logger.setLevel(logging.NOTSET)
        logger.propagate = access or name != "uvicorn.access"
    return {"log_config": None, "log_level": None, "access_log": access}


def get_logger(name: str | None = None) -> Any:
    return structlog.get_logger(name)
