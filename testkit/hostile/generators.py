"""Hostile inputs, derived from real payloads by mutation: deterministic, counted, scalable.

Every generator starts from files a tracker or an admin really produced (the vendor samples under
tests/fixtures, the starter config, the demo world's poalign.yaml) and bends them: fields dropped,
nulled or given the wrong type, huge or control-character strings, nesting bombs, dates in every
format the trackers write (and some they never should), forged signatures and headers, bodies over
the size limit, truncated JSON, files that are not what their name says. A case carries a `variant`
name saying exactly what was done, so a failure reads as the input that caused it.

`scale` multiplies the randomly placed mutations (the systematic variants are always all there);
the seed is fixed, so scale=1 always yields the same inputs.
"""

from __future__ import annotations

import base64
import copy
import gzip
import hashlib
import hmac
import json
import random
import re
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
SAMPLES = FIXTURES / "vendor" / "samples"
JIRA_HOOKS = SAMPLES / "jira" / "webhooks" / "mattermost-plugin-jira"
ADO_HOOKS = SAMPLES / "ado" / "servicehooks" / "aspnet-asplabs-vsts-receiver-tests"
JIRA_META = SAMPLES / "jira" / "metadata" / "go-jira"
ADO_CLI = (
    SAMPLES / "ado" / "workitems" / "azure-devops-cli-extension" / "test_boards_releations_create_remove"
)
ADO_DEMO = SAMPLES / "ado" / "workitems" / "azure-devops-demo-generator"
ADO_SPECS = SAMPLES / "ado" / "workitems" / "vsts-rest-api-specs" / "wit-7.1"
DEMO_WORLD = ROOT / "connectors" / "sandbox" / "worlds" / "demo"
SEED = 20_260_309


# -- odd values ------------------------------------------------------------------------------------


def nested(depth: int) -> Any:
    value: Any = []
    for _ in range(depth):
        value = [value]
    return value


# (name, value): what a hostile or broken sender puts where a field should be.
ODD_VALUES: tuple[tuple[str, Any], ...] = (
    ("null", None),
    ("zero", 0),
    ("negative", -1),
    ("fraction", 1.5),
    ("true", True),
    ("false", False),
    ("empty-string", ""),
    ("blank-string", "   "),
    ("word", "x"),
    ("numeric-string", "12345"),
    ("empty-list", []),
    ("empty-object", {}),
    ("list-of-null", [None]),
    ("object-with-empty-key", {"": None}),
    ("huge-string", "A" * 20_000),
    ("nul-char", "a\u0000b"),
    ("control-chars", "\x01\x1b[31m\x7f\r\n"),
    ("bidi-override", "\u202eevil\u202c"),
    ("emoji", "😀🏳️‍🌈"),
    ("lone-surrogate", "\ud800"),
    ("script-tag", "<script>alert(1)</script>"),
    ("big-int", 2**64 + 1),
    ("huge-float", 1e308),
    ("nan", float("nan")),
    ("infinity", float("inf")),
    ("deep-list", nested(200)),
)

# Dates as the trackers write them, and as they never should. (text, the date a reader may take
# from it; None when no date should be read, i.e. None is the only sensible value).
#   Jira: offsets without a colon, milliseconds; date-only fields; Data Center sprint strings.
#   ADO: a trailing Z, 0 to 7 fractional digits, the sentinels 0001-01-01 and 9999-01-01.
DATES: tuple[tuple[str, str, date | None], ...] = (
    ("jira-offset-no-colon", "2024-05-01T10:29:50.823+0700", date(2024, 5, 1)),
    ("jira-offset-colon", "2024-05-01T10:29:50.823+07:00", date(2024, 5, 1)),
    ("jira-minus-zero", "2024-05-01T10:29:50.000-0000", date(2024, 5, 1)),
    ("jira-utc-z-millis", "2024-05-01T10:00:00.000Z", date(2024, 5, 1)),
    ("jira-date-only", "2024-05-01", date(2024, 5, 1)),
    ("ado-z", "2024-05-01T10:00:00Z", date(2024, 5, 1)),
    ("ado-z-2-digits", "2024-05-01T10:00:00.23Z", date(2024, 5, 1)),
    ("ado-z-3-digits", "2024-05-01T10:00:00.777Z", date(2024, 5, 1)),
    ("ado-z-7-digits", "2024-05-01T10:00:00.1234567Z", date(2024, 5, 1)),
    ("ado-no-offset", "2024-05-01T00:00:00", date(2024, 5, 1)),
    ("ado-sentinel-9999", "9999-01-01T00:00:00Z", date(9999, 1, 1)),
    ("ado-sentinel-0001", "0001-01-01T00:00:00", date(1, 1, 1)),
    ("year-one-east-offset", "0001-01-01T00:00:00+14:00", date(1, 1, 1)),
    ("year-9999-west-offset", "9999-12-31T23:59:59-12:00", date(9999, 12, 31)),
    ("space-separator", "2024-05-01 10:00:00+00:00", date(2024, 5, 1)),
    ("lowercase-z", "2024-05-01t10:00:00z", date(2024, 5, 1)),
    ("iso-week", "2024-W18-3", date(2024, 5, 1)),
    ("basic-format", "20240501", date(2024, 5, 1)),
    ("empty", "", None),
    ("blank", "   ", None),
    ("february-30", "2024-02-30", None),
    ("month-13", "2024-13-01", None),
    ("hour-25", "2024-05-01T25:00:00Z", date(2024, 5, 1)),
    ("offset-25h", "2024-05-01T10:00:00+25:00", date(2024, 5, 1)),
    ("zero-date", "0000-00-00", None),
    ("us-format", "05/01/2024", None),
    ("prose", "May 1, 2024", None),
    ("epoch-millis-string", "1714557600000", None),
    ("dotnet-json-date", "/Date(1714557600000)/", None),
    ("two-digit-year", "24-05-01", None),
    ("fullwidth-digits", "２０２４-０５-０１", None),
    ("nul-inside", "2024-05-01\u0000T10:00:00Z", date(2024, 5, 1)),
    ("trailing-garbage", "2024-05-01T10:00:00Zjunk", date(2024, 5, 1)),
    ("jira-null-marker", "<null>", None),
)
# Non-string date values: None, or the date is not to be read from them.
_TIME_OF_DAY = re.compile(r"\d{2}:\d{2}")
DATE_VALUES: tuple[tuple[str, Any], ...] = (
    ("epoch-millis-number", 1714557600000),
    ("date-as-list", ["2024-05-01"]),
    ("date-as-object", {"value": "2024-05-01"}),
    ("date-true", True),
)


# -- JSON paths and mutations ---------------------------------------------------------------------

PathT = tuple[str | int, ...]
DROP = object()


def json_paths(doc: Any, max_depth: int = 7, max_items: int = 3) -> list[PathT]:
    """Every path into `doc` (keys and list indexes), shallow first; long lists contribute their head."""
    found: list[PathT] = []

    def walk(value: Any, path: PathT) -> None:
        if len(path) >= max_depth:
            return
        if isinstance(value, dict):
            children: list[tuple[str | int, Any]] = list(value.items())
        elif isinstance(value, list):
            children = list(enumerate(value[:max_items]))
        else:
            return
        for key, child in children:
            found.append((*path, key))
            walk(child, (*path, key))

    walk(doc, ())
    return found


def with_value(doc: Any, path: PathT, value: Any) -> Any:
    """A deep copy of `doc` with `path` set to `value`, or removed when `value` is DROP."""
    copied = copy.deepcopy(doc)
    parent = copied
    for key in path[:-1]:
        parent = parent[key]
    if value is DROP:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    return copied


def dotted(path: PathT) -> str:
    return "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in path).lstrip(".")


def random_mutations(rng: random.Random, doc: Any, count: int) -> Iterator[tuple[str, PathT, Any]]:
    """`count` (variant, path, mutated doc): a random path dropped, or given an odd value."""
    paths = json_paths(doc)
    for _ in range(count):
        path = rng.choice(paths)
        if rng.random() < 0.25:
            yield f"drop:{dotted(path)}", path, with_value(doc, path, DROP)
        else:
            name, value = rng.choice(ODD_VALUES)
            yield f"{name}:{dotted(path)}", path, with_value(doc, path, value)


def dumps(value: Any) -> bytes:
    """JSON as a careless sender writes it: NaN and Infinity literals allowed, surrogates escaped."""
    return json.dumps(value, allow_nan=True).encode()


def load_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8-sig"))


# -- webhooks --------------------------------------------------------------------------------------


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


def _set_path(doc: Any, path: PathT, value: Any) -> Any:
    """Set `path`, creating missing parent objects (targeted values may name fields a sample lacks)."""
    copied = copy.deepcopy(doc)
    parent = copied
    for key in path[:-1]:
        if not isinstance(parent.get(key), dict):
            parent[key] = {}
        parent = parent[key]
    parent[path[-1]] = value
    return copied


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
                body = dumps(_set_path(doc, target, value))
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


# -- tracker JSON ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrackerCase:
    variant: str
    tracker: str  # "jira" | "ado"
    item: Any
    key: str | None  # the item's key/id when the mutation left one to name
    field: str | None = None  # the field that was bent (for dates: where the date must show up)
    expect_attr: str | None = None  # the record attribute a sensible reading must fill...
    expect: tuple[Any, ...] = ()  # ...with one of these values

    @property
    def category(self) -> str:
        return f"tracker.{self.tracker}"


@cache
def jira_issues() -> tuple[dict[str, Any], ...]:
    """Real issues: the fixtures (links, sprints, fix versions) and a spread of the TiDev archive."""
    paths = sorted((FIXTURES / "jira").glob("issue__*.json"))
    archive = sorted((SAMPLES / "jira" / "issues" / "tidev-jira-archive" / "data").rglob("*-*.json"))
    paths += archive[:: max(1, len(archive) // 14)]
    issues = [load_json(path) for path in paths]
    sprint_page = load_json(SAMPLES / "jira" / "issues" / "go-jira" / "issues_in_sprint_with_changelog.json")
    issues += sprint_page["issues"][:2]
    return tuple(issue for issue in issues if isinstance(issue, dict) and "key" in issue)


@cache
def ado_items() -> tuple[dict[str, Any], ...]:
    """Real work items: the CLI extension's recordings (relations), demo projects, REST examples."""
    items: list[dict[str, Any]] = [load_json(p) for p in sorted(ADO_CLI.glob("*-GET-wit_workItems_*.json"))]
    for path in sorted(ADO_DEMO.glob("*/WorkItems/*.json")):
        items += load_json(path)["value"][:2]
    for path in sorted((ADO_SPECS / "workItems").glob("GET__*.json")):
        body = load_json(path)["responses"]["200"]["body"]
        items += body["value"] if isinstance(body, dict) and "value" in body else [body]
    return tuple(item for item in items if isinstance(item, dict) and "id" in item and "fields" in item)


JIRA_DATE_FIELDS = ("duedate", "created", "updated", "resolutiondate")
ADO_DATE_FIELDS = (
    "Microsoft.VSTS.Scheduling.TargetDate",
    "Microsoft.VSTS.Scheduling.StartDate",
    "Microsoft.VSTS.Scheduling.DueDate",
    "System.CreatedDate",
    "System.ChangedDate",
)
# Which record attribute each date field lands in, and whether a time of day (with offset) is needed.
DATE_ATTRS = {
    "duedate": ("due_date", False),
    "created": ("created", True),
    "updated": ("updated", True),
    "resolutiondate": ("done_at", True),
    "Microsoft.VSTS.Scheduling.TargetDate": ("target_date", False),
    "Microsoft.VSTS.Scheduling.StartDate": ("planned_start", False),
    "Microsoft.VSTS.Scheduling.DueDate": ("due_date", False),
    "System.CreatedDate": ("created", True),
    "System.ChangedDate": ("updated", True),
}
JIRA_LINK_PHRASES = (
    "is blocked by",
    "blocks",
    "depends on",
    "is depended on by",
    "clones",
    "is a teleporter for",
    "",
    "   ",
    "IS BLOCKED   BY",
    "\u0000",
    "x" * 5000,
)
ADO_RELS = (
    "System.LinkTypes.Dependency-Forward",
    "System.LinkTypes.Dependency-Reverse",
    "System.LinkTypes.Hierarchy-Reverse",
    "Microsoft.VSTS.Common.TestedBy-Forward",
    "System.LinkTypes.Teleport-Forward",
    "Hyperlink",
    "ArtifactLink",
    "AttachedFile",
    "",
)


def _date_expectation(field_name: str, value: Any, readable: date | None) -> tuple[str, tuple[Any, ...]]:
    attr, _timed = DATE_ATTRS[field_name]
    return attr, (None,) if readable is None else (None, readable)


def tracker_cases(scale: float = 1.0, seed: int = SEED) -> list[TrackerCase]:
    rng = random.Random(seed + 1)
    cases: list[TrackerCase] = []
    per_item = max(1, round(6 * scale))

    for issue in jira_issues():
        key = str(issue["key"])
        for variant, path, mutated in random_mutations(rng, issue, per_item):
            still = key if path != ("key",) else None
            cases.append(TrackerCase(f"{key}/{variant}", "jira", mutated, still, dotted(path)))

    base = jira_issues()[0]
    key = str(base["key"])
    # priority: null, absent, odd shapes
    for name, value in (
        ("priority-null", None),
        ("priority-name-null", {"name": None}),
        ("priority-name-None-string", {"name": "None"}),
        ("priority-number", 3),
        ("priority-string", "High"),
        ("priority-list", [{"name": "High"}]),
        ("priority-name-object", {"name": {"value": "High"}}),
    ):
        cases.append(
            TrackerCase(
                f"{key}/{name}",
                "jira",
                with_value(base, ("fields", "priority"), value),
                key,
                "priority",
                expect_attr="raw_priority" if name.startswith("priority-name-") or value is None else None,
                expect=(None,),
            )
        )
    cases.append(
        TrackerCase(
            f"{key}/priority-absent",
            "jira",
            with_value(base, ("fields", "priority"), DROP) if "priority" in base["fields"] else base,
            key,
            "priority",
            expect_attr="raw_priority",
            expect=(None,),
        )
    )
    # dates, in every field that holds one
    for field_name in JIRA_DATE_FIELDS:
        attr, timed = DATE_ATTRS[field_name]
        for name, text, readable in DATES:
            if timed and not _TIME_OF_DAY.search(text):
                readable = None  # a date alone says no time of day: a timestamp field stays empty
            expect_attr, expect = _date_expectation(field_name, text, readable)
            cases.append(
                TrackerCase(
                    f"{key}/{field_name}={name}",
                    "jira",
                    with_value(base, ("fields", field_name), text),
                    key,
                    field_name,
                    expect_attr=expect_attr,
                    expect=expect,
                )
            )
        for name, value in DATE_VALUES:
            cases.append(
                TrackerCase(
                    f"{key}/{field_name}={name}",
                    "jira",
                    with_value(base, ("fields", field_name), value),
                    key,
                    field_name,
                    expect_attr=attr,
                    expect=(None,),
                )
            )
    # sprints: the Cloud objects, Data Center strings, and nonsense in both
    sprint_values: tuple[tuple[str, Any], ...] = (
        (
            "sprint-dc-string",
            [
                "com.atlassian.greenhopper.service.sprint.Sprint@a29f07[id=107,rapidViewId=3,state=ACTIVE,name=S 7,startDate=2024-05-01T10:00:00.000+02:00,endDate=2024-05-15T10:00:00.000+02:00,completeDate=<null>,sequence=107]"
            ],
        ),
        ("sprint-dc-string-garbage", ["Sprint@x[===,,]"]),
        ("sprint-dc-string-no-id", ["Sprint@x[name=S,state=ACTIVE]"]),
        ("sprint-dc-string-huge", ["Sprint@x[" + "name=x," * 5000 + "id=1]"]),
        (
            "sprint-object-odd-dates",
            [{"id": 5, "name": "S", "state": "active", "startDate": "yesterday", "endDate": 20240501}],
        ),
        ("sprint-id-object", [{"id": {"x": 1}, "state": "future"}]),
        ("sprint-state-number", [{"id": 1, "state": 7}]),
        ("sprint-not-a-list", {"id": 1}),
        ("sprint-list-of-junk", [None, 1, [], "x"]),
    )
    for name, value in sprint_values:
        for target in (("fields", "customfield_10020"), ("fields", "sprint"), ("fields", "closedSprints")):
            cases.append(
                TrackerCase(
                    f"{key}/{dotted(target[1:])}={name}",
                    "jira",
                    _set_path(base, target, value),
                    key,
                    target[1],
                )
            )
    # links: unknown types, half-formed entries
    for phrase in JIRA_LINK_PHRASES:
        for side in ("outwardIssue", "inwardIssue"):
            entry = {
                "id": "1",
                "type": {"id": "9", "name": "Teleports", "inward": phrase, "outward": phrase},
                side: {"id": "10001", "key": "PAY-2"},
            }
            cases.append(
                TrackerCase(
                    f"{key}/link-{side}-phrase={phrase[:20]!r}",
                    "jira",
                    with_value(base, ("fields", "issuelinks"), [entry]),
                    key,
                    "issuelinks",
                )
            )
    for name, links in (
        (
            "links-both-sides",
            [
                {
                    "type": {"inward": "is blocked by", "outward": "blocks"},
                    "inwardIssue": {"key": "A-1"},
                    "outwardIssue": {"key": "B-1"},
                }
            ],
        ),
        ("links-neither-side", [{"type": {"name": "Blocks"}}]),
        ("links-type-null", [{"type": None, "outwardIssue": {"key": "A-1"}}]),
        ("links-type-string", [{"type": "Blocks", "outwardIssue": {"key": "A-1"}}]),
        ("links-other-string", [{"type": {"outward": "blocks"}, "outwardIssue": "A-1"}]),
        ("links-other-key-number", [{"type": {"outward": "blocks"}, "outwardIssue": {"key": 7}}]),
        ("links-entry-null", [None]),
        ("links-entry-string", ["PAY-2"]),
        ("links-object", {"outwardIssue": {"key": "A-1"}}),
        ("links-phrase-number", [{"type": {"outward": 5}, "outwardIssue": {"key": "A-1"}}]),
    ):
        cases.append(
            TrackerCase(
                f"{key}/{name}", "jira", with_value(base, ("fields", "issuelinks"), links), key, "issuelinks"
            )
        )
    for name, versions in (
        ("fix-versions-null-entry", [None]),
        ("fix-versions-odd-date", [{"id": "1", "name": "1.0", "releaseDate": "soon"}]),
        ("fix-versions-name-object", [{"id": "1", "name": {"x": 1}, "releaseDate": "2024-05-01"}]),
        ("fix-versions-object", {"name": "1.0"}),
        ("labels-string", None),
    ):
        target = ("fields", "labels") if name == "labels-string" else ("fields", "fixVersions")
        value = "urgent" if name == "labels-string" else versions
        cases.append(TrackerCase(f"{key}/{name}", "jira", with_value(base, target, value), key, target[1]))
    for name, value in (("fields-null", None), ("fields-list", []), ("fields-string", "x")):
        cases.append(
            TrackerCase(f"{key}/{name}", "jira", with_value(base, ("fields",), value), key, "fields")
        )
    for name, value in (("key-null", None), ("key-number", 7), ("key-object", {"k": 1})):
        cases.append(TrackerCase(f"issue/{name}", "jira", with_value(base, ("key",), value), None, "key"))
    cases.append(TrackerCase("issue/key-absent", "jira", with_value(base, ("key",), DROP), None, "key"))

    # -- ADO --
    for item in ado_items():
        item_id = str(item["id"])
        for variant, path, mutated in random_mutations(rng, item, per_item):
            still = item_id if path != ("id",) else None
            cases.append(TrackerCase(f"{item_id}/{variant}", "ado", mutated, still, dotted(path)))
    base = next(item for item in ado_items() if item.get("relations"))
    item_id = str(base["id"])
    for name, value in (
        ("priority-null", None),
        ("priority-string", "2"),
        ("priority-word", "High"),
        ("priority-nan", float("nan")),
        ("priority-infinity", float("inf")),
        ("priority-huge", 1e300),
        ("priority-true", True),
        ("priority-object", {"value": 2}),
    ):
        cases.append(
            TrackerCase(
                f"{item_id}/{name}",
                "ado",
                _set_path(base, ("fields", "Microsoft.VSTS.Common.Priority"), value),
                item_id,
                "Microsoft.VSTS.Common.Priority",
            )
        )
    for field_name in ADO_DATE_FIELDS:
        attr, timed = DATE_ATTRS[field_name]
        for name, text, readable in DATES:
            if timed and not _TIME_OF_DAY.search(text):
                readable = None
            expect_attr, expect = _date_expectation(field_name, text, readable)
            cases.append(
                TrackerCase(
                    f"{item_id}/{field_name}={name}",
                    "ado",
                    _set_path(base, ("fields", field_name), text),
                    item_id,
                    field_name,
                    expect_attr=expect_attr,
                    expect=expect,
                )
            )
        for name, value in DATE_VALUES:
            cases.append(
                TrackerCase(
                    f"{item_id}/{field_name}={name}",
                    "ado",
                    _set_path(base, ("fields", field_name), value),
                    item_id,
                    field_name,
                    expect_attr=attr,
                    expect=(None,),
                )
            )
    for rel in ADO_RELS:
        for url in (
            "https://dev.azure.com/o/_apis/wit/workItems/974",
            "https://dev.azure.com/o/_apis/wit/workItems/-1",
            "https://dev.azure.com/o/_apis/wit/workItems/" + "9" * 400,
            "vstfs:///Git/Commit/abc",
            "",
            "javascript:alert(1)",
        ):
            relation = {"rel": rel, "url": url, "attributes": {"name": "Teleport", "comment": "blocks"}}
            cases.append(
                TrackerCase(
                    f"{item_id}/relation-{rel or 'empty'}-{url[:40]!r}",
                    "ado",
                    with_value(base, ("relations",), [relation]),
                    item_id,
                    "relations",
                )
            )
    for name, relations in (
        ("relations-null-entry", [None]),
        ("relations-string-entry", ["System.LinkTypes.Related"]),
        ("relations-object", {"rel": "x"}),
        ("relations-attributes-list", [{"rel": "Hyperlink", "url": "https://x", "attributes": [1]}]),
        (
            "relations-comment-number",
            [{"rel": "Hyperlink", "url": "https://x", "attributes": {"comment": 5}}],
        ),
    ):
        cases.append(
            TrackerCase(
                f"{item_id}/{name}", "ado", with_value(base, ("relations",), relations), item_id, "relations"
            )
        )
    for name, value in (
        ("tags-list", ["a", "b"]),
        ("tags-number", 5),
        ("tags-only-separators", ";;; ;"),
        ("parent-string", "973"),
        ("parent-nan", float("nan")),
        ("parent-infinity", float("inf")),
        ("state-number", 3),
        ("type-list", ["Bug"]),
        ("area-path-object", {"path": "x"}),
        ("iteration-path-list", ["a"]),
        ("story-points-string", "3"),
        ("story-points-nan", float("nan")),
        ("stack-rank-infinity", float("inf")),
        ("stack-rank-nan", float("nan")),
        ("is-deleted-string", "false"),
        ("project-number", 5),
    ):
        ref = {
            "tags": "System.Tags",
            "parent": "System.Parent",
            "state": "System.State",
            "type": "System.WorkItemType",
            "area": "System.AreaPath",
            "iteration": "System.IterationPath",
            "story": "Microsoft.VSTS.Scheduling.StoryPoints",
            "stack": "Microsoft.VSTS.Common.StackRank",
            "is": "System.IsDeleted",
            "project": "System.TeamProject",
        }[name.split("-")[0]]
        cases.append(
            TrackerCase(f"{item_id}/{name}", "ado", _set_path(base, ("fields", ref), value), item_id, ref)
        )
    for name, value in (("fields-null", None), ("fields-list", []), ("fields-string", "x")):
        cases.append(
            TrackerCase(f"{item_id}/{name}", "ado", with_value(base, ("fields",), value), item_id, "fields")
        )
    for name, value in (("id-null", None), ("id-string", "abc"), ("id-nan", float("nan")), ("id-object", {})):
        cases.append(TrackerCase(f"item/{name}", "ado", with_value(base, ("id",), value), None, "id"))
    cases.append(TrackerCase("item/id-absent", "ado", with_value(base, ("id",), DROP), None, "id"))
    for name, value in (("rev-string", "7"), ("rev-nan", float("nan")), ("rev-negative", -1)):
        cases.append(
            TrackerCase(f"{item_id}/{name}", "ado", with_value(base, ("rev",), value), item_id, "rev")
        )
    return cases


# -- worlds ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WorldCase:
    variant: str
    files: dict[str, bytes | None]  # relative path -> content; None: a directory of that name
    blamed: str  # the relative path an error must name

    @property
    def category(self) -> str:
        return "world"


@cache
def base_world() -> dict[str, bytes]:
    """A small world from real files: a Jira site (TiDev issues with links and a sprint, go-jira
    metadata, a project with versions) and an ADO project (the CLI extension's work items with
    relations, a demo team list and team areas, an iteration tree from the REST examples), with an
    anchor date. The demo world's poalign.yaml joins only the cases about it (PyYAML is slow)."""
    files: dict[str, bytes] = {}
    for path in sorted((FIXTURES / "jira").glob("issue__*.json")):
        files[f"jira/acme/issues/{path.name}"] = path.read_bytes()
    files["jira/acme/site.json"] = json.dumps(
        {"deploymentType": "Cloud", "issueLinkTypes": load_json(JIRA_META / "all_issuelinktypes.json")}
    ).encode()
    for name in ("all_priorities.json", "all_statuses.json", "all_resolutions.json", "sprints.json"):
        files[f"jira/acme/meta/{name}"] = (JIRA_META / name).read_bytes()
    project = SAMPLES / "jira" / "issues" / "tidev-jira-archive" / "data" / "DAEMON" / "project.json"
    files["jira/acme/projects/DAEMON.json"] = project.read_bytes()
    for path in sorted(ADO_CLI.glob("*-GET-wit_workItems_*.json"))[:5]:
        files[f"ado/contoso/WIRel/workitems/{path.name}"] = path.read_bytes()
    files["ado/contoso/org.json"] = b'{"aliases": ["https://contoso.visualstudio.com"]}'
    files["ado/contoso/WIRel/iterations.json"] = (
        ADO_SPECS / "classificationNodes" / "GET__wit_classificationNodes_iterations__depth-2.json"
    ).read_bytes()
    files["ado/contoso/WIRel/teams.json"] = (ADO_DEMO / "CAF-ModernIOT" / "Teams" / "Teams.json").read_bytes()
    files["ado/contoso/WIRel/TeamArea.json"] = (ADO_DEMO / "CAF-ModernIOT" / "TeamArea.json").read_bytes()
    files["ado/contoso/WIRel/project.json"] = (
        b'{"process": "Agile", "iterationStart": "2024-01-01", "iterationDays": 14}'
    )
    files["world.json"] = b'{"anchor_date": "2026-03-02"}'
    return files


def _alias_bomb(levels: int = 9, width: int = 9) -> str:
    """'Billion laughs': each level a list of aliases to the level below (9**9 strings if expanded)."""
    lines = ["a0: &a0 [" + ", ".join(["lol"] * width) + "]"]
    for level in range(1, levels):
        lines.append(f"a{level}: &a{level} [" + ", ".join([f"*a{level - 1}"] * width) + "]")
    return "\n".join(lines) + "\n"


def world_cases(scale: float = 1.0, seed: int = SEED) -> list[WorldCase]:
    rng = random.Random(seed + 3)
    base = base_world()
    demo_yaml = (DEMO_WORLD / "poalign.yaml").read_bytes()
    cases: list[WorldCase] = [
        WorldCase("as-is", dict(base), ""),
        WorldCase("as-is-with-poalign-yaml", {**base, "poalign.yaml": demo_yaml}, ""),
    ]
    json_files = sorted(name for name in base if name.endswith(".json"))

    def bent(variant: str, name: str, content: bytes | None) -> WorldCase:
        return WorldCase(f"{name}/{variant}", {**base, name: content}, name)

    # Whole-file breakage for a third of the files (every file from scale 3 on); random mutations of
    # every file. Each case reloads the whole world, so these counts set the suite's run time.
    for name in json_files[:: max(1, round(3 / scale))]:
        raw = base[name]
        for variant, body in (
            ("truncated", raw[: len(raw) // 2]),
            ("empty", b""),
            ("invalid-utf8", raw[:10] + b"\xff" + raw[10:]),
            ("top-level-list-of-numbers", b"[1, 2, 3]"),
            ("top-level-string", b'"x"'),
            ("top-level-null", b"null"),
            ("nesting-bomb", b"[" * 100_000 + b"]" * 100_000),
        ):
            cases.append(bent(variant, name, body))
    for name in json_files:
        doc = json.loads(base[name].decode("utf-8-sig"))
        for variant, _path, mutated in random_mutations(rng, doc, max(1, round(2 * scale))):
            cases.append(bent(variant, name, dumps(mutated)))
    for variant, body in (
        ("anchor-not-a-date", b'{"anchor_date": "last tuesday"}'),
        ("anchor-number", b'{"anchor_date": 20260302}'),
        ("anchor-year-1", b'{"anchor_date": "0001-01-01"}'),
        ("anchor-year-9999", b'{"anchor_date": "9999-12-31"}'),
        ("anchor-list", b'{"anchor_date": ["2026-03-02"]}'),
        ("not-an-object", b"[]"),
    ):
        cases.append(bent(variant, "world.json", body))
    demo = yaml.safe_load(demo_yaml)
    for variant, body in (
        ("yaml-syntax", b"teams: [\n"),
        ("yaml-python-tag", b"teams: !!python/object:os.system x\n"),
        ("yaml-int-tag", b"committed_range: !!int many\n"),
        ("yaml-timestamp-tag", b"chief_product_owner: !!timestamp 2024-13-45\n"),
        ("yaml-nesting-bomb", b"a: " + b"[" * 2_000 + b"]" * 2_000 + b"\n"),
        ("yaml-alias-bomb", _alias_bomb().encode()),
        ("yaml-top-level-list", b"- a\n- b\n"),
        ("yaml-top-level-scalar", b"just words\n"),
        ("yaml-nul", b"teams: \x00\n"),
        ("yaml-invalid-utf8", b"teams: \xff\n"),
        ("yaml-sources-number", b"sources: 5\n"),
        ("yaml-sources-strings", b"sources: [jira-acme, ado-contoso]\n"),
        ("yaml-source-name-list", b"sources: [{name: [a], kind: jira}]\n"),
        ("yaml-source-aliases-number", b"sources: [{name: jira-acme, kind: jira, aliases: 5}]\n"),
        ("yaml-teams-mapping", b"teams: {Payments: PAY}\n"),
        ("yaml-policy-list", b"policy: [a, b]\n"),
    ):
        cases.append(bent(variant, "poalign.yaml", body))
    for variant, _path, mutated in random_mutations(rng, demo, max(1, round(6 * scale))):
        text = yaml.safe_dump(mutated, sort_keys=False, allow_unicode=False)
        cases.append(bent(variant, "poalign.yaml", text.encode()))
    # Files that are not files, and layouts that hold nothing.
    for name in ("jira/acme/issues/odd.json", "jira/acme/site.json", "world.json", "poalign.yaml"):
        without = {key: value for key, value in base.items() if key != name}
        cases.append(WorldCase(f"directory-named-{name.rsplit('/', 1)[-1]}", {**without, name: None}, name))
    cases.append(WorldCase("no-trackers", {"world.json": base["world.json"]}, ""))
    cases.append(WorldCase("empty-site", {"jira/acme/README.txt": b"nothing"}, ""))
    return cases


# -- all of it -------------------------------------------------------------------------------------


def count(cases: list[Any]) -> dict[str, int]:
    tally: dict[str, int] = {}
    for case in cases:
        tally[case.category] = tally.get(case.category, 0) + 1
    return tally
