"""Tracker errors grouped by what to do next: fatal (fix something), retry (wait, maybe as told), ignore.

Each tracker has one status table that maps an HTTP status to an error class and to a sentence telling
the operator what to do. Connectors raise only these classes; the service never sees client exceptions.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar


class TrackerError(Exception):
    action: ClassVar[str] = "fatal"

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        retry_after: float | None = None,
        url: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.retry_after = retry_after
        self.url = url

    def __str__(self) -> str:
        prefix = f"HTTP {self.status}: " if self.status else ""
        return f"{prefix}{self.message}"


class FatalTrackerError(TrackerError):
    """Retrying will not help: credentials, permissions, configuration or a request the tracker refuses."""

    action = "fatal"


class AuthError(FatalTrackerError):
    pass


class PermissionDeniedError(FatalTrackerError):
    pass


class BadRequestError(FatalTrackerError):
    pass


class ApiGoneError(FatalTrackerError):
    pass


class RetryableTrackerError(TrackerError):
    """Transient: throttling, outages, timeouts, resets, truncated bodies. Retry with back-off."""

    action = "retry"


class RateLimitedError(RetryableTrackerError):
    pass


class UnavailableError(RetryableTrackerError):
    pass


class TransportError(RetryableTrackerError):
    """Connection refused/reset, timeout, or a body that is not the JSON it claims to be."""


class UnreachableError(TransportError):
    """The tracker was never reached: wrong URL, DNS, firewall/proxy, certificate, or it is down
    (:mod:`connectors.unreachable`). Retryable by the next run, never inside this one."""


class ConflictError(RetryableTrackerError):
    """The item changed under us (ADO 412 on a /rev test, Jira 409): re-read, then retry."""


class IgnorableTrackerError(TrackerError):
    """Expected and harmless for this call, e.g. the item was deleted meanwhile."""

    action = "ignore"


class NotFoundError(IgnorableTrackerError):
    pass


@dataclass(frozen=True)
class StatusRule:
    error: type[TrackerError]
    advice: str


def _common(tracker: str, token_hint: str) -> dict[int, StatusRule]:
    return {
        400: StatusRule(BadRequestError, f"{tracker} refused the request as malformed"),
        401: StatusRule(AuthError, f"{tracker} rejected the credentials: check {token_hint}"),
        403: StatusRule(
            PermissionDeniedError,
            f"the {tracker} account lacks permission for this; grant it or narrow the scope",
        ),
        404: StatusRule(NotFoundError, "not found (deleted, moved, or not visible to this account)"),
        408: StatusRule(UnavailableError, f"{tracker} timed out"),
        409: StatusRule(ConflictError, "the item changed meanwhile"),
        412: StatusRule(ConflictError, "the item changed meanwhile (revision test failed)"),
        413: StatusRule(BadRequestError, "request too large"),
        429: StatusRule(RateLimitedError, f"{tracker} is throttling this account"),
        500: StatusRule(UnavailableError, f"{tracker} had an internal error"),
        502: StatusRule(UnavailableError, f"{tracker} is unreachable behind its gateway"),
        503: StatusRule(UnavailableError, f"{tracker} is unavailable"),
        504: StatusRule(UnavailableError, f"{tracker} timed out behind its gateway"),
    }


JIRA_STATUS: Mapping[int, StatusRule] = {
    **_common("Jira", "the source's auth.user_env/token_env (Cloud: e-mail + API token; DC: bearer PAT)"),
    410: StatusRule(
        ApiGoneError, "Jira removed this API (Cloud's /search is gone: poalign must use /search/jql)"
    ),
}
ADO_STATUS: Mapping[int, StatusRule] = {
    **_common("Azure DevOps", "the PAT in the source's auth.token_env (scope: Work Items read & write)"),
    203: StatusRule(AuthError, "Azure DevOps answered with a sign-in page: the PAT is invalid or expired"),
}


def classify(
    status: int,
    message: str,
    table: Mapping[int, StatusRule],
    headers: Mapping[str, str] | None = None,
    url: str | None = None,
) -> TrackerError:
    rule = table.get(status)
    if rule is None:
        rule = StatusRule(UnavailableError if status >= 500 else BadRequestError, "unexpected status")
    text = f"{rule.advice}: {message}" if message else rule.advice
    return rule.error(text, status=status, retry_after=retry_after_seconds(headers or {}), url=url)


def retry_after_seconds(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """How long the tracker asked us to wait: Retry-After (seconds or HTTP date), X-RateLimit-Delay,
    or X-RateLimit-Reset (ADO: epoch seconds; Jira Cloud: ISO 8601)."""
    lower = {key.lower(): value for key, value in headers.items()}
    now = time.time() if now is None else now
    value = lower.get("retry-after")
    if value:
        try:
            return max(0.0, float(value))
        except ValueError:
            try:
                return max(0.0, email.utils.parsedate_to_datetime(value).timestamp() - now)
            except (TypeError, ValueError):
                pass
    delay = lower.get("x-ratelimit-delay")
    if delay:
        try:
            return max(0.0, float(delay))
        except ValueError:
            pass
    reset = lower.get("x-ratelimit-reset")
    if reset:
        try:
            return max(0.0, float(reset) - now)
        except ValueError:
            try:
                return max(0.0, datetime.fromisoformat(reset.replace("Z", "+00:00")).timestamp() - now)
            except ValueError:
                return None
    return None
