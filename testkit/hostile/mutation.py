"""The real payloads the hostile generators start from (vendor samples and fixtures under
tests/fixtures, the demo world), the seed, and the ways every generator bends a JSON document: odd
values in place of a field, a field dropped, at a random path."""

from __future__ import annotations

import copy
import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

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
DEMO_WORLD = ROOT / "sandbox" / "worlds" / "demo"
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


def set_path(doc: Any, path: PathT, value: Any) -> Any:
    """Set `path`, creating missing parent objects (targeted values may name fields a sample lacks)."""
    copied = copy.deepcopy(doc)
    parent = copied
    for key in path[:-1]:
        if not isinstance(parent.get(key), dict):
            parent[key] = {}
        parent = parent[key]
    parent[path[-1]] = value
    return copied
