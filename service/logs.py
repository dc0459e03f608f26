"""Logging: structlog key=value (or JSON) lines, with every known secret value redacted everywhere.

Secrets come only from environment variables named in the config. Their values are registered here at
start-up and replaced by '***' in structlog events and in stdlib log records (uvicorn, urllib3, clients).
"""

from __future__ import annotations

import logging
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


def configure(level: str = "INFO", json: bool = False, stream: Any = None) -> None:
    """Set up structlog and the stdlib root logger to write redacted lines to stderr."""
    stream = stream or _CurrentStderr()
    handler = logging.StreamHandler(stream)
    handler.addFilter(_RedactingFilter())
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level.upper())
    for noisy in ("urllib3", "msrest", "azure", "jira", "httpx", "httpcore", "apscheduler"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
    renderer: Any = (
        structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            _redact_processor,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(stream),
        cache_logger_on_first_use=False,
    )


def get_logger(name: str | None = None) -> Any:
    return structlog.get_logger(name)
