"""Deliver a stored report to chat and webhook endpoints: generic JSON, Slack, Microsoft Teams.

Contract:

- Targets come from `reports.deliver_to`; each URL is read from the environment variable it names
  (chat webhook URLs are secrets). A missing variable is a failed delivery, not a crash.
- Every URL passes `guard.check_url` (http/https only; public addresses only unless
  `allow_private_network: true`), and every connection passes `guard.GuardedBackend`.
- One POST per target, JSON body, `timeout` seconds per attempt; up to `attempts` attempts on
  connection errors, timeouts, 429 and 5xx, with exponential back-off (Retry-After honoured, capped
  at `max_backoff`). Other 4xx answers are final. 307/308 redirects are followed (at most 3) only
  to targets that pass the same checks; 301/302/303 are reported, not followed (they would turn
  the POST into a GET).
- Logs and results name the target as `kind:ENV_NAME` and `scheme://host` only, never the path or
  query that carry the webhook's secret.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib.metadata import version
from typing import Any

import httpx

from connectors.display import displayable
from service.config.schema import ReportTarget
from service.logs import get_logger
from service.reports import escape
from service.reports.guard import Resolver, UnsafeTarget, check_url, describe, guarded_transport

log = get_logger(__name__)
SLACK_GROUPS = 10
SLACK_FINDINGS_PER_GROUP = 5
TEAMS_GROUPS = 10
TEAMS_FINDINGS_PER_GROUP = 5
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class DeliveryResult:
    target: str  # "slack:SLACK_URL_ENV"
    host: str | None  # scheme://host, no path
    ok: bool
    attempts: int
    status: int | None = None
    error: str | None = None


# -- bodies --------------------------------------------------------------------------------------


def _headline(content: dict[str, Any]) -> str:
    s = content["summary"]
    return (
        f"{s['decisions']} PO pair(s) with decisions, {s['cross_team_open']} open cross-team finding(s), "
        f"{s['escalated']} escalated, {s['new']} new, {s['resolved']} resolved"
    )


def generic_body(content: dict[str, Any], report_url: str | None = None) -> dict[str, Any]:
    """For machines: the whole report content (the `report --format json` shape) with a header."""
    return {
        "type": "poalign.report",
        "id": content.get("id"),
        "title": content["title"],
        "created_at": content["created_at"],
        "since": content["since"],
        "url": report_url,
        "headline": _headline(content),
        "summary": content["summary"],
        "report": content,
    }


def _findings(content: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {entry["fingerprint"]: entry for entry in content["findings"]}


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def slack_body(content: dict[str, Any], report_url: str | None = None) -> dict[str, Any]:
    """Slack incoming-webhook message: `text` fallback plus Block Kit blocks (mrkdwn escaped)."""
    s = content["summary"]
    title = _truncate(f"{content['title']} · {content['created_at'][:10]}", 150)
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": title, "emoji": False}},
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": (
                    f"*{s['decisions']}* PO pair(s) with decisions · *{s['cross_team_open']}* open cross-team "
                    f"finding(s) · *{s['escalated']}* escalated to the Chief PO · *{s['new']}* new · "
                    f"*{s['resolved']}* resolved"
                ),
            },
        },
        {"type": "divider"},
    ]
    findings = _findings(content)
    for group in content["decisions"][:SLACK_GROUPS]:
        lines = [
            f"*{escape.slack(' ↔ '.join(group['product_owners']))}* ({escape.slack(', '.join(group['teams']))})"
        ]
        for fingerprint in group["findings"][:SLACK_FINDINGS_PER_GROUP]:
            entry = findings[fingerprint]
            keys = ", ".join(escape.slack_link(item["key"], item.get("url")) for item in entry["items"])
            flag = " :rotating_light: escalated" if entry.get("escalated") else ""
            lines.append(
                f"• `{escape.slack(entry['severity'].upper())}` {escape.slack(entry['rule'])} {keys}{flag}: "
                f"{escape.slack(_truncate(entry['message'], 400))}"
            )
        if len(group["findings"]) > SLACK_FINDINGS_PER_GROUP:
            lines.append(f"… and {len(group['findings']) - SLACK_FINDINGS_PER_GROUP} more")
        blocks.append(
            {"type": "section", "text": {"type": "mrkdwn", "text": _truncate("\n".join(lines), 2900)}}
        )
    if len(content["decisions"]) > SLACK_GROUPS:
        blocks.append(
            {
                "type": "context",
                "elements": [
                    {
                        "type": "mrkdwn",
                        "text": f"and {len(content['decisions']) - SLACK_GROUPS} more PO pair(s)",
                    }
                ],
            }
        )
    if not content["decisions"]:
        blocks.append(
            {"type": "section", "text": {"type": "mrkdwn", "text": "Nothing needs a decision between POs."}}
        )
    target = escape.safe_url(report_url)
    if target:
        blocks.append(
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "text": {"type": "plain_text", "text": "Open the report"},
                        "url": target,
                    }
                ],
            }
        )
    return {"text": escape.slack(f"{content['title']}: {_headline(content)}"), "blocks": blocks}


def _teams_text(value: object) -> str:
    """Adaptive Card TextBlocks render a Markdown subset and no HTML: backslash-escape the markup."""
    text = " ".join(displayable(str(value or "")).split())
    for character in "\\*_[]()#`~>-+!|":
        text = text.replace(character, "\\" + character)
    return text


def teams_body(content: dict[str, Any], report_url: str | None = None) -> dict[str, Any]:
    """Microsoft Teams (Workflows / incoming webhook) message carrying an Adaptive Card 1.4."""
    s = content["summary"]
    body: list[dict[str, Any]] = [
        {
            "type": "TextBlock",
            "text": _teams_text(content["title"]),
            "size": "Large",
            "weight": "Bolder",
            "wrap": True,
        },
        {
            "type": "TextBlock",
            "text": _teams_text(f"Prepared {content['created_at'][:16].replace('T', ' ')} UTC"),
            "isSubtle": True,
            "spacing": "None",
        },
        {
            "type": "FactSet",
            "facts": [
                {"title": "PO pairs with decisions", "value": str(s["decisions"])},
                {"title": "Open cross-team findings", "value": str(s["cross_team_open"])},
                {"title": "Escalated to the Chief PO", "value": str(s["escalated"])},
                {"title": "New", "value": str(s["new"])},
                {"title": "Resolved", "value": str(s["resolved"])},
            ],
        },
    ]
    findings = _findings(content)
    for group in content["decisions"][:TEAMS_GROUPS]:
        body.append(
            {
                "type": "TextBlock",
                "text": _teams_text(f"{' ↔ '.join(group['product_owners'])} ({', '.join(group['teams'])})"),
                "weight": "Bolder",
                "wrap": True,
                "separator": True,
                "spacing": "Medium",
            }
        )
        for fingerprint in group["findings"][:TEAMS_FINDINGS_PER_GROUP]:
            entry = findings[fingerprint]
            flag = " · ESCALATED" if entry.get("escalated") else ""
            keys = ", ".join(item["key"] for item in entry["items"])
            body.append(
                {
                    "type": "TextBlock",
                    "text": _teams_text(
                        f"{entry['severity'].upper()} {entry['rule']} {keys}{flag}: {_truncate(entry['message'], 400)}"
                    ),
                    "wrap": True,
                    "spacing": "Small",
                }
            )
        if len(group["findings"]) > TEAMS_FINDINGS_PER_GROUP:
            body.append(
                {
                    "type": "TextBlock",
                    "text": f"and {len(group['findings']) - TEAMS_FINDINGS_PER_GROUP} more",
                    "isSubtle": True,
                    "wrap": True,
                }
            )
    if not content["decisions"]:
        body.append({"type": "TextBlock", "text": "Nothing needs a decision between POs.", "wrap": True})
    card: dict[str, Any] = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
    }
    target = escape.safe_url(report_url)
    if target:
        card["actions"] = [{"type": "Action.OpenUrl", "title": "Open the report", "url": target}]
    return {
        "type": "message",
        "summary": _truncate(f"{content['title']}: {_headline(content)}", 200),
        "attachments": [
            {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": card}
        ],
    }


BODIES: dict[str, Callable[[dict[str, Any], str | None], dict[str, Any]]] = {
    "generic": generic_body,
    "slack": slack_body,
    "teams": teams_body,
}


# -- sending -------------------------------------------------------------------------------------


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after", "").strip()
    return float(value) if value.isdigit() else None


class Deliverer:
    """Posts report bodies with the guard, bounded retries and timeouts. Injectable for tests."""

    def __init__(
        self,
        *,
        attempts: int = 4,
        timeout: float = 10.0,
        backoff: float = 1.0,
        max_backoff: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
        resolver: Resolver = socket.getaddrinfo,
        max_redirects: int = 3,
    ) -> None:
        self.attempts = max(1, attempts)
        self.timeout = timeout
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.sleep = sleep
        self.resolver = resolver
        self.max_redirects = max_redirects

    def deliver(
        self,
        content: dict[str, Any],
        targets: Sequence[ReportTarget],
        secret: Callable[[str], str | None],
        report_url: str | None = None,
    ) -> list[DeliveryResult]:
        results = []
        for target in targets:
            label = f"{target.kind}:{target.url_env}"
            url = secret(target.url_env)
            if not url:
                result = DeliveryResult(
                    label, None, False, 0, error=f"environment variable {target.url_env} is not set"
                )
            else:
                body = BODIES[target.kind](content, report_url)
                result = self.post(label, url, body, allow_private=target.allow_private_network)
            (log.info if result.ok else log.warning)(
                "report.delivery",
                target=result.target,
                host=result.host,
                ok=result.ok,
                attempts=result.attempts,
                status=result.status,
                error=result.error,
                report=content.get("id"),
            )
            results.append(result)
        return results

    def post(self, label: str, url: str, body: dict[str, Any], *, allow_private: bool) -> DeliveryResult:
        host = describe(url)
        try:
            current = check_url(url, allow_private=allow_private, resolver=self.resolver)
        except UnsafeTarget as refusal:
            return DeliveryResult(label, host, False, 0, error=f"refused: {refusal}")
        headers = {"User-Agent": f"poalign/{version('poalign')}", "Content-Type": "application/json"}
        transport = guarded_transport(allow_private, self.resolver)
        attempts, redirects, status, error = 0, 0, None, None
        with httpx.Client(
            transport=transport, timeout=self.timeout, follow_redirects=False, trust_env=False
        ) as client:
            while attempts < self.attempts:
                attempts += 1
                wait = None
                try:
                    response = client.post(current, json=body, headers=headers)
                except UnsafeTarget as refusal:
                    return DeliveryResult(label, host, False, attempts, error=f"refused: {refusal}")
                except httpx.TimeoutException as failure:
                    status, error = None, f"timeout ({type(failure).__name__})"
                except httpx.TransportError as failure:
                    status, error = None, f"connection failed ({type(failure).__name__})"
                else:
                    status = response.status_code
                    if response.is_success:
                        return DeliveryResult(label, host, True, attempts, status)
                    if response.is_redirect:
                        followed = self._redirect(response, current, allow_private, redirects)
                        if isinstance(followed, str):
                            return DeliveryResult(label, host, False, attempts, status, followed)
                        current, redirects = followed, redirects + 1
                        attempts -= 1  # following a redirect is not a failed attempt
                        continue
                    if status not in RETRY_STATUSES:
                        return DeliveryResult(label, host, False, attempts, status, f"HTTP {status}")
                    error, wait = f"HTTP {status}", _retry_after(response)
                if attempts < self.attempts:
                    delay = self.backoff * 2 ** (attempts - 1) if wait is None else wait
                    self.sleep(min(self.max_backoff, delay))
        return DeliveryResult(
            label, host, False, attempts, status, f"gave up after {attempts} attempts: {error}"
        )

    def _redirect(
        self, response: httpx.Response, current: httpx.URL, allow_private: bool, redirects: int
    ) -> httpx.URL | str:
        location = response.headers.get("location")
        if not location:
            return f"HTTP {response.status_code} without a Location"
        target = current.join(location)
        if response.status_code not in (307, 308):
            return f"HTTP {response.status_code} redirect to {describe(target)}; configure the final URL"
        if redirects >= self.max_redirects:
            return f"more than {self.max_redirects} redirects"
        try:
            return check_url(target, allow_private=allow_private, resolver=self.resolver)
        except UnsafeTarget as refusal:
            return f"refused redirect to {describe(target)}: {refusal}"
