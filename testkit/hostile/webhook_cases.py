"""Hostile webhook deliveries from the real Jira and ADO samples: bodies bent at random and where the
parsers look, whole-body breakage and size limits, forged signatures and credentials, odd headers and
source names; each with the one right status when there is exactly one."""

from __future__ import annotations

import base64
import gzip
import hashlib
import hmac
import json
import random
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from testkit.hostile.mutation import (
    ADO_HOOKS,
    JIRA_HOOKS,
    SEED,
    PathT,
    dumps,
    load_json,
    random_mutations,
    set_path,
)


@dataclass(frozen=True)
class Secrets:
    """The credentials the app under test is configured with, so valid deliveries can be made."""

    jira_secret: str
    ado_user: str
    ado_password: str
    jira_source: str
    ado_source: str
    max_body_bytes: int


@dataclass(frozen=True)
class WebhookCase:
    variant: str
    tracker: str  # "jira" | "ado"
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    source: str | None = None  # None: the configured source of this tracker
    expect: int | None = None  # the one status that is right, when there is exactly one
    chunked: bool = False  # send without Content-Length, in pieces

    @property
    def category(self) -> str:
        return f"webhook.{self.tracker}"


def jira_signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def _body_variants(body: bytes, rng: random.Random, limit: int) -> Iterator[tuple[str, bytes, int | None]]:
    """Whole-body mutations: (variant, body, the only right status or None)."""
    for fraction in (0.1, 0.5, 0.97):
        yield f"truncated-at-{int(fraction * 100)}pct", body[: int(len(body) * fraction)], 400
    yield "empty-body", b"", 400
    yield "random-binary", rng.randbytes(300), 400
    yield "utf8-bom", b"\xef\xbb\xbf" + body, None
    yield "utf16-encoded", body.decode("utf-8-sig").encode("utf-16"), None
    yield "invalid-utf8-inside", body.replace(b'"', b'"\xff\xfe', 1), 400
    yield "top-level-array", b"[" + body + b"]", 400
    yield "top-level-string", json.dumps(body.decode("utf-8", "replace")).encode(), 400
    yield "top-level-null", b"null", 400
    yield "top-level-number", b"1e999", 400
    yield "nesting-bomb-100k", b"[" * 100_000 + b"]" * 100_000, 400
    yield "nesting-bomb-in-object", b'{"a":' + b"[" * 50_000 + b"]" * 50_000 + b"}", 400
    yield "wide-array", b'{"a":[' + b"{}," * 60_000 + b"{}]}", 400
    yield "gzip-compressed", gzip.compress(body, mtime=0), 400
    yield "trailing-garbage", body + b"}}}", 400
    yield "whitespace-padded", b" \n\t" + body + b"\n \r\n", None
    yield "over-limit", body + b" " * (limit + 1 - len(body)), 413
    if len(body) <= limit:
        yield "exactly-at-limit", body + b" " * (limit - len(body)), None


def _field_values(tracker: str) -> tuple[tuple[str, PathT, Any], ...]:
    """Targeted values for the fields the parsers read."""
    if tracker == "jira":
        return (
            ("event-nul", ("webhookEvent",), "jira:issue_\u0000updated"),
            ("event-huge", ("webhookEvent",), "jira:" + "x" * 50_000),
            ("event-unknown", ("webhookEvent",), "jira:issue_teleported"),
            ("event-surrogate", ("webhookEvent",), "jira:\ud800"),
            ("key-path-traversal", ("issue", "key"), "../../rest/api/2/serverInfo"),
            ("key-query", ("issue", "key"), "PAY-1?expand=everything"),
            ("key-huge", ("issue", "key"), "PAY-" + "1" * 5000),
            ("key-nul", ("issue", "key"), "PAY-1\u0000"),
            ("key-object", ("issue", "key"), {"key": "PAY-1"}),
            ("key-number", ("issue", "key"), 12345),
            ("id-negative", ("issue", "id"), -7),
            ("id-float", ("issue", "id"), 1.5),
            ("id-nan", ("issue", "id"), float("nan")),
            ("changelog-items-number", ("changelog", "items"), 5),
            ("changelog-items-string", ("changelog", "items"), "labels"),
            ("changelog-items-object", ("changelog", "items"), {"field": "labels"}),
            ("changelog-item-labels-number", ("changelog", "items"), [{"field": "labels", "toString": 7}]),
            ("labels-huge", ("changelog", "items"), [{"field": "labels", "toString": "l " * 20_000}]),
            ("user-account-object", ("user",), {"accountId": {"nested": True}}),
            ("timestamp-string", ("timestamp",), "1714557600000"),
            ("timestamp-huge", ("timestamp",), 10**30),
            (
                "comment-self-traversal",
                ("comment", "self"),
                "https://x/rest/api/2/issue/../../admin/comment/1",
            ),
            ("comment-body-object", ("comment", "body"), {"type": "doc"}),
            ("issuelink-ids-odd", ("issueLink",), {"sourceIssueId": "1 OR 1=1", "destinationIssueId": [1]}),
            ("issuelink-ids-huge", ("issueLink",), {"sourceIssueId": 10**40, "destinationIssueId": -1}),
        )
    return (
        ("event-nul", ("eventType",), "workitem.\u0000updated"),
        ("event-huge", ("eventType",), "workitem." + "x" * 50_000),
        ("event-unknown", ("eventType",), "workitem.teleported"),
        ("delivery-id-nul", ("id",), "abc\u0000def"),
        ("delivery-id-huge", ("id",), "d" * 20_000),
        ("delivery-id-object", ("id",), {"id": 1}),
        ("delivery-id-number", ("id",), 123456789),
        ("resource-id-nan", ("resource", "id"), float("nan")),
        ("resource-id-infinity", ("resource", "id"), float("inf")),
        ("resource-id-negative", ("resource", "id"), -5),
        ("resource-id-fraction", ("resource", "id"), 1.5),
        ("resource-id-true", ("resource", "id"), True),
        ("resource-id-huge", ("resource", "id"), 10**30),
        ("resource-id-string", ("resource", "id"), "42"),
        ("work-item-id-nan", ("resource", "workItemId"), float("nan")),
        ("work-item-id-huge-float", ("resource", "workItemId"), 1e300),
        ("revision-fields-list", ("resource", "revision", "fields"), [1, 2]),
        ("tags-number", ("resource", "fields", "System.Tags"), {"oldValue": 5, "newValue": ["a"]}),
        ("fields-list", ("resource", "fields"), ["System.Tags"]),
        ("revised-by-list", ("resource", "revisedBy"), [{"uniqueName": "x"}]),
        ("history-object", ("resource", "fields", "System.History"), {"newValue": {"a": 1}}),
    )


def _ado_mutations(rng: random.Random, doc: Any, count: int) -> Iterator[tuple[str, PathT, Any]]:
    """random_mutations, each with its own envelope id (ADO's dedupe key) unless the id is what was
    bent: otherwise all but the first would be stored as duplicates and never drained."""
    for variant, path, mutated in random_mutations(rng, doc, count):
        if path[0] != "id" and isinstance(mutated, dict):
            mutated["id"] = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        yield variant, path, mutated


def webhook_cases(
    secrets: Secrets,
    scale: float = 1.0,
    seed: int = SEED,
    recorded: Sequence[tuple[str, bytes]] = (),
) -> list[WebhookCase]:
    """`recorded`: ("jira" | "ado", body) deliveries a running sandbox made about its own items; they
    are mutated too, so that accepted events name items the tracker really has."""
    rng = random.Random(seed)
    cases: list[WebhookCase] = []
    limit = secrets.max_body_bytes
    jira_samples = sorted(JIRA_HOOKS.glob("*.json"))
    ado_samples = sorted(ADO_HOOKS.glob("*.json"))
    delivery = iter(range(10**9))

    def jira(variant: str, body: bytes, expect: int | None = None, **headers: str) -> WebhookCase:
        sent = {
            "Content-Type": "application/json",
            "X-Atlassian-Webhook-Identifier": f"hostile-{next(delivery)}",
            "X-Hub-Signature": jira_signature(secrets.jira_secret, body),
        }
        for name, value in headers.items():
            name = name.replace("_", "-")
            if value == "<absent>":
                sent.pop(name, None)
            else:
                sent[name] = value
        return WebhookCase(variant, "jira", body, sent, expect=expect)

    def ado(variant: str, body: bytes, expect: int | None = None, auth: str | None = None) -> WebhookCase:
        headers = {"Content-Type": "application/json"}
        authorization = basic(secrets.ado_user, secrets.ado_password) if auth is None else auth
        if authorization != "<absent>":
            headers["Authorization"] = authorization
        return WebhookCase(variant, "ado", body, headers, expect=expect)

    # Random mutations of every real delivery, signed correctly: the parser meets them all.
    per_jira = max(1, round(3 * scale))
    for path in jira_samples:
        doc = load_json(path)
        for variant, _path, mutated in random_mutations(rng, doc, per_jira):
            cases.append(jira(f"{path.stem}/{variant}", dumps(mutated)))
    per_ado = max(1, round(24 * scale))
    for path in ado_samples:
        doc = load_json(path)
        for variant, _path, mutated in _ado_mutations(rng, doc, per_ado):
            cases.append(ado(f"{path.stem}/{variant}", dumps(mutated)))
    per_recorded = max(1, round(8 * scale))
    for index, (tracker, body) in enumerate(recorded):
        doc = json.loads(body)
        name = f"sandbox-{tracker}-{index}"
        if tracker == "jira":
            cases.append(jira(f"{name}/as-is", body))
            for variant, _path, mutated in random_mutations(rng, doc, per_recorded):
                cases.append(jira(f"{name}/{variant}", dumps(mutated)))
        else:
            cases.append(ado(f"{name}/as-is", body))
            for variant, _path, mutated in _ado_mutations(rng, doc, per_recorded):
                cases.append(ado(f"{name}/{variant}", dumps(mutated)))

    # Targeted values where the parsers look.
    for tracker, samples in (("jira", jira_samples[:6]), ("ado", ado_samples)):
        for name, target, value in _field_values(tracker):
            for path in samples[: 2 if tracker == "jira" else 5]:
                doc = load_json(path)
                if tracker == "ado" and target != ("id",):
                    doc["id"] = str(uuid.UUID(int=rng.getrandbits(128), version=4))
                body = dumps(set_path(doc, target, value))
                make = jira if tracker == "jira" else ado
                cases.append(make(f"{path.stem}/{name}", body))

    # Whole-body mutations, signed over exactly what is sent.
    for path in jira_samples[:: max(1, len(jira_samples) // 4)]:
        for variant, body, expect in _body_variants(path.read_bytes(), rng, limit):
            cases.append(jira(f"{path.stem}/{variant}", body, expect))
    for path in ado_samples[::2]:
        for variant, body, expect in _body_variants(path.read_bytes(), rng, limit):
            cases.append(ado(f"{path.stem}/{variant}", body, expect))
    big = jira_samples[0].read_bytes()
    cases.append(
        WebhookCase(
            "chunked-over-limit",
            "jira",
            big + b" " * (limit + 1 - len(big)),
            {"X-Hub-Signature": jira_signature(secrets.jira_secret, big + b" " * (limit + 1 - len(big)))},
            expect=413,
            chunked=True,
        )
    )
    cases.append(
        WebhookCase(
            "chunked-within-limit",
            "jira",
            big,
            {"X-Hub-Signature": jira_signature(secrets.jira_secret, big)},
            chunked=True,
        )
    )

    # Signatures: missing, forged, for another body, another algorithm, another secret. Never 202.
    body = (JIRA_HOOKS / "webhook-issue-created.json").read_bytes()
    good = jira_signature(secrets.jira_secret, body)
    digest = good.removeprefix("sha256=")
    forged = {
        "signature-absent": "<absent>",
        "signature-empty": "",
        "signature-prefix-only": "sha256=",
        "signature-no-prefix": digest,
        "signature-sha1": "sha1=" + hmac.new(secrets.jira_secret.encode(), body, hashlib.sha1).hexdigest(),
        "signature-md5-prefix": "md5=" + digest,
        "signature-other-body": jira_signature(secrets.jira_secret, body + b" "),
        "signature-wrong-secret": jira_signature(secrets.jira_secret + "x", body),
        "signature-empty-secret": jira_signature("", body),
        "signature-truncated": good[:-1],
        "signature-extended": good + "0",
        "signature-non-hex": "sha256=" + "z" * 64,
        "signature-twice": f"{good},{good}",
        "signature-huge": "sha256=" + "a" * 8000,
        "signature-latin1": "sha256=" + "é" * 64,
        "signature-base64": "sha256=" + base64.b64encode(bytes.fromhex(digest)).decode(),
        "signature-equals-only": "=",
    }
    for variant, signature in forged.items():
        cases.append(jira(variant, body, 401, X_Hub_Signature=signature))
    for variant, signature in {
        "signature-uppercase-hex": "sha256=" + digest.upper(),
        "signature-uppercase-algorithm": "SHA256=" + digest,
        "signature-padded": f"  {good}  ",
    }.items():
        cases.append(jira(variant, body, 202, X_Hub_Signature=signature))
    # Headers around a valid signature.
    for variant, headers in {
        "identifier-absent": {"X_Atlassian_Webhook_Identifier": "<absent>"},
        "identifier-empty": {"X_Atlassian_Webhook_Identifier": ""},
        "identifier-huge": {"X_Atlassian_Webhook_Identifier": "i" * 8000},
        "identifier-latin1": {"X_Atlassian_Webhook_Identifier": "déjà-vu"},
        "identifier-spaces": {"X_Atlassian_Webhook_Identifier": "  a b  "},
        "content-type-absent": {"Content_Type": "<absent>"},
        "content-type-text": {"Content_Type": "text/plain"},
        "content-type-form": {"Content_Type": "application/x-www-form-urlencoded"},
        "content-type-multipart": {"Content_Type": "multipart/form-data; boundary=x"},
        "content-type-xml": {"Content_Type": "application/xml"},
        "content-type-utf16": {"Content_Type": "application/json; charset=utf-16"},
        "content-encoding-gzip-lie": {"Content_Encoding": "gzip"},
        "retry-header-odd": {"X_Atlassian_Webhook_Retry": "-1e9"},
        "user-agent-huge": {"User_Agent": "u" * 8000},
    }.items():
        cases.append(jira(variant, body, **headers))
    for variant, length, expect in (
        ("content-length-word", "abc", 400),
        ("content-length-negative", "-1", 400),
        ("content-length-exponent", "1e3", 400),
        ("content-length-superscript-two", "²", 400),
        ("content-length-arabic-digits", "١٢", 400),
        ("content-length-padded", f" {len(body)} ", None),
        ("content-length-huge", "9" * 40, 413),
        ("content-length-over-limit", str(limit + 1), 413),
    ):
        cases.append(jira(variant, body, expect, Content_Length=length))

    # Basic auth for ADO: missing, malformed, wrong; never 202.
    ado_body = (ADO_HOOKS / "workitem.created.json").read_bytes()
    for variant, authorization in {
        "auth-absent": "<absent>",
        "auth-empty": "",
        "auth-bearer": f"Bearer {secrets.ado_password}",
        "auth-basic-no-credentials": "Basic",
        "auth-basic-not-base64": "Basic !!!not-base64!!!",
        "auth-basic-no-colon": "Basic " + base64.b64encode(secrets.ado_password.encode()).decode(),
        "auth-wrong-password": basic(secrets.ado_user, secrets.ado_password + "x"),
        "auth-wrong-user": basic(secrets.ado_user + "x", secrets.ado_password),
        "auth-empty-user": basic("", secrets.ado_password),
        "auth-empty-password": basic(secrets.ado_user, ""),
        "auth-password-prefix": basic(secrets.ado_user, secrets.ado_password[:-1]),
        "auth-non-utf8": "Basic " + base64.b64encode(b"\xff\xfe:\xff").decode(),
        "auth-nul-inside": "Basic "
        + base64.b64encode(f"{secrets.ado_user}\0:{secrets.ado_password}".encode()).decode(),
        "auth-huge": "Basic " + "A" * 16_000,
        "auth-twice": basic(secrets.ado_user, "x") + ", " + basic(secrets.ado_user, secrets.ado_password),
        "auth-base64-unpadded": "Basic "
        + base64.b64encode(f"{secrets.ado_user}:{secrets.ado_password}x".encode()).decode().rstrip("="),
    }.items():
        cases.append(ado(variant, ado_body, 401, auth=authorization))
    for variant, authorization in {
        "auth-lowercase-scheme": "basic " + basic(secrets.ado_user, secrets.ado_password).split(" ", 1)[1],
        "auth-padded": "  " + basic(secrets.ado_user, secrets.ado_password) + "  ",
    }.items():
        cases.append(ado(variant, ado_body, 202, auth=authorization))

    # Source names in the path: unknown, the wrong kind, odd characters.
    for tracker, body_of in (("jira", body), ("ado", ado_body)):
        other = secrets.ado_source if tracker == "jira" else secrets.jira_source
        for variant, source in {
            "source-unknown": "no-such-source",
            "source-other-kind": other,
            "source-uppercase": (secrets.jira_source if tracker == "jira" else secrets.ado_source).upper(),
            "source-huge": "s" * 3000,
            "source-unicode": "jïra-ß",
            "source-dotdot": "..",
            "source-encoded-nul": "%00",
            "source-encoded-space": "a%20b",
        }.items():
            base = jira(variant, body_of) if tracker == "jira" else ado(variant, body_of)
            cases.append(
                WebhookCase(f"{tracker}-{variant}", tracker, body_of, base.headers, source=source, expect=404)
            )
    return cases
