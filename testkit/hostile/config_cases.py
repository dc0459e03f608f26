"""Mutated poalign.yaml files and what the loader must say about each: always a ConfigError naming
the file, the line and the key, never a traceback. Thrown by tests/hostile/test_config_inputs.py and
by the proof (bench/proof/hostile.py).

Each case is the valid config of valid_config.yaml changed in one way (a wrong type, an unknown or missing key, a bad
literal, a number out of range, an inline secret, YAML syntax errors, tabs, control characters,
bytes that are not UTF-8, alias bombs and self-references, deep nesting, binary junk, a huge file)
or a harmless change that must still load (a BOM, CRLF line ends). The expected line is found with
PyYAML's own node marks, independently of the loader under test.
"""

from __future__ import annotations

import copy
import random
import typing
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from service.config.loader import ConfigError, ConfigProblem, load_config, parse_config
from testkit.hostile import budget
from testkit.hostile.config_paths import (
    ConfigPath,
    dotted,
    dump,
    get,
    has_upper_bound,
    is_model,
    leaves,
    line_of,
    put,
    schema_at,
)

SEED = 20_240_917
SECRET = "s3cr3t-Value-that-must-not-echo"
BASE: dict[str, Any] = yaml.safe_load(
    Path(__file__).with_name("valid_config.yaml").read_text(encoding="utf-8")
)
# Secrets pasted where a variable's NAME belongs (each found by a different sign: an issuer's prefix,
# a JWT, a long random run, mixed-case random text); refused at that key and never printed back.
PASTED_SECRETS: dict[ConfigPath, str] = {
    ("sources", 0, "auth", "token_env"): "ATATT3xFfGF0T9kq2LrVbWm8nZpQ4sYc7dHj1uE6gKoN",
    ("sources", 0, "webhook", "secret_env"): "ghp_R8v2kQ9mZx4LpT7wB3nY6cJ1hF5dS0aGuE2i",
    ("sources", 1, "auth", "token_env"): "w4xq7j2ktz3r5mnb6vcx2p4zqd7fh3ks9lp2aa6tyu5oe3ni4rbq",
    ("sources", 1, "webhook", "password_env"): "xoxb-2417-99813-Hq7RkWm2LcV9pZx4TnB8yD3s",
    ("reports", "deliver_to", 0, "url_env"): "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJwb2FsaWduIn0.Zm9vYmFy",
    ("api", "token_env"): "Kp3Zq8Lm2Vx7Rt4Nw9Bc6Yh1Df5Gs0Ja",
    ("sources", 0, "auth", "user_env"): "glpat-9xZk2LmQ8vRt4NpW7cBy",
}

# Whole-file problems have no line: the file is missing, unreadable, or too large.
FILE_LEVEL = ("file not found", "cannot read", "bytes, more than a config can be")


# -- the cases -------------------------------------------------------------------------------------

Expect = Literal["error", "loads", "either"]


@dataclass
class Case:
    name: str
    text: str | None = None
    raw: bytes | None = None  # written to disk and loaded with load_config
    expect: Expect = "error"
    key: str | None = None  # a problem must name exactly this key ...
    key_prefix: str | None = None  # ... or a key starting with this
    line: int | None = None  # ... on this line
    message: str | None = None  # ... with this in its message
    forbidden: tuple[str, ...] = field(default=())  # never in any output


WRONG_FOR_SCALAR = ([1, 2], {"nested": "mapping"}, [], {})
WRONG_FOR_LIST = (7, "text", {"a": 1}, True)
WRONG_FOR_MAPPING = (7, "text", ["a", "b"], True, 1.5)
BAD_LITERALS = ("gitlab", "CLOUD", "", "jira ", "ja\u200bra", "<script>", "1", "null-ish")


def _schema_cases(rnd: random.Random, count: int) -> Iterator[Case]:
    all_paths = [p for p, _ in leaves(BASE) if p]
    ops = ("wrong_type", "unknown_key", "missing_key", "literal", "range", "secret", "slug", "reference")
    produced = 0
    while produced < count:
        op = ops[produced % len(ops)]
        data = copy.deepcopy(BASE)
        path = rnd.choice(all_paths)
        value = get(data, path)
        annotation = schema_at(path) if isinstance(path[-1], str) or isinstance(value, dict | list) else None
        case: Case | None = None
        if op == "wrong_type":
            if isinstance(value, dict):
                new: Any = rnd.choice(WRONG_FOR_MAPPING)
            elif isinstance(value, list):
                new = rnd.choice(WRONG_FOR_LIST)
                if isinstance(new, str) and schema_at(path) is not list and path[-1] in ("aliases",):
                    new = 7
            else:
                new = rnd.choice(WRONG_FOR_SCALAR)
            put(data, path, new)
            case = Case(f"wrong-type {dotted(path)}", dump(data), key_prefix=dotted(path))
        elif op == "unknown_key":
            mappings = [p for p, v in leaves(BASE) if isinstance(v, dict) and is_model(schema_at(p))]
            target = rnd.choice(mappings)
            name = rnd.choice(
                ["colour", "tokn_env", "Name", "sources ", "x" * 300, "ünknöwn", "<b>k</b>", "n\u202ek"]
            )
            get(data, target)[name] = rnd.choice(["v", 1, None, [1], {"a": 1}])
            case = Case(
                f"unknown-key {dotted((*target, name))}",
                dump(data),
                key=dotted((*target, name)),
                message="unknown key",
            )
        elif op == "missing_key":
            required = [
                (p, k)
                for p, v in leaves(BASE)
                if isinstance(v, dict) and is_model(schema_at(p))
                for k, info in schema_at(p).model_fields.items()
                if info.is_required() and k in v
            ]
            parent, key = rnd.choice(required)
            del get(data, parent)[key]
            text = dump(data)
            case = Case(
                f"missing-key {dotted((*parent, key))}",
                text,
                key=dotted((*parent, key)),
                line=line_of(text, (*parent, key)),
                message="required key is missing",
            )
        elif op == "literal":
            literal_paths = [
                p for p in all_paths if isinstance(p[-1], str) and typing.get_origin(schema_at(p)) is Literal
            ]
            target = rnd.choice(literal_paths)
            put(data, target, rnd.choice(BAD_LITERALS))
            if target[-1] == "deployment" or (target[-1] == "kind" and target[0] == "sources"):
                # changing a source's kind or deployment can also break the kind-specific checks
                case = Case(f"literal {dotted(target)}", dump(data), key_prefix=dotted(target[:2]))
            else:
                case = Case(f"literal {dotted(target)}", dump(data), key=dotted(target), message="expected")
        elif op == "range":
            numeric = [
                p
                for p in all_paths
                if isinstance(get(BASE, p), int | float) and not isinstance(get(BASE, p), bool)
            ]
            target = rnd.choice(numeric)
            if target[:2] == ("policy", "priority_scale"):
                new = rnd.choice([0, 6, -1, 10**20])
            elif has_upper_bound(target):
                new = rnd.choice([-1, -(10**30), 10**30, float("-inf"), float("inf")])
            else:
                new = rnd.choice([-1, -(10**30), float("-inf")])
            put(data, target, new)
            case = Case(f"range {dotted(target)}={new}", dump(data), key=dotted(target))
        elif op == "secret":
            envs = [
                p
                for p in all_paths
                if isinstance(p[-1], str) and p[-1].endswith("_env") and p[-1] != "url_env"
            ]
            target = rnd.choice(envs)
            parent = get(data, target[:-1])
            bare = str(target[-1]).removesuffix("_env")
            if bare in ("token", "password", "secret"):
                del parent[target[-1]]
                parent[bare] = SECRET + str(produced)
                key = dotted((*target[:-1], bare))
                text = dump(data)
                case = Case(
                    f"inline-secret {key}",
                    text,
                    key=key,
                    line=line_of(text, (*target[:-1], bare)),
                    message="environment variable",
                    forbidden=(SECRET + str(produced),),
                )
            else:
                put(data, target, rnd.choice(["lower-case-ok?", "1STARTS_WITH_DIGIT", "has space", "ÜMLAUT"]))
                case = Case(f"env-name {dotted(target)}", dump(data), key=dotted(target))
        elif op == "slug":
            index = rnd.randrange(len(BASE["sources"]))
            data["sources"][index]["name"] = rnd.choice(
                ["Jira Main", "JIRA", "-lead", "jira_main", "jïra", ""]
            )
            case = Case(f"slug sources[{index}]", dump(data), key=f"sources[{index}].name")
        elif op == "reference":
            index = rnd.randrange(len(BASE["teams"]))
            data["teams"][index]["source"] = rnd.choice(["nope", "jira-mian", "ado-main-2"])
            text = dump(data)
            case = Case(
                f"reference teams[{index}]",
                text,
                key=f"teams[{index}].source",
                line=line_of(text, ("teams", index, "source")),
                message="unknown source",
            )
        _ = annotation
        if case is not None:
            if case.line is None and case.key and case.text is not None and not case.key_prefix:
                parts: list[str | int] = []
                for piece in case.key.replace("[", ".[").split("."):
                    if piece.startswith("["):
                        parts.append(int(piece[1:-1]))
                    elif piece:
                        parts.append(piece)
                case.line = line_of(case.text, tuple(parts))
            produced += 1
            yield case


BASE_TEXT = dump(BASE)
BASE_LINES = BASE_TEXT.splitlines(keepends=True)
STARTER = (Path(__file__).resolve().parents[2] / "service" / "config" / "starter.yaml").read_text(
    encoding="utf-8"
)


def _syntax_cases(rnd: random.Random, count: int) -> Iterator[Case]:
    ops = (
        "bracket",
        "quote",
        "tab",
        "control",
        "not_utf8",
        "duplicate",
        "bomb",
        "recursive",
        "deep",
        "truncate",
        "binary",
        "bom",
        "crlf",
        "tag",
        "bad_alias",
        "indent",
    )
    for produced in range(count):
        op = ops[produced % len(ops)]
        base = rnd.choice([BASE_LINES, STARTER.splitlines(keepends=True)])
        lines = list(base)
        at = rnd.randrange(len(lines))
        if op == "bracket":
            lines[at] = lines[at].rstrip("\n") + rnd.choice([" [", " {", " ]", " }", ": [a, {b"]) + "\n"
            yield Case(f"{op}@{at + 1}", "".join(lines), expect="either")
        elif op == "quote":
            lines[at] = lines[at].rstrip("\n") + rnd.choice([' "open', " 'open", ' "\\q"']) + "\n"
            yield Case(f"{op}@{at + 1}", "".join(lines), expect="either")
        elif op == "tab":
            indented = [i for i, line in enumerate(lines) if line.startswith("  ") and line.strip()]
            at = rnd.choice(indented)
            lines[at] = "\t" + lines[at].lstrip(" ")
            yield Case(f"{op}@{at + 1}", "".join(lines), expect="error")
        elif op == "control":
            candidates = [
                i for i, line in enumerate(lines) if ":" in line and not line.lstrip().startswith("#")
            ]
            at = rnd.choice(candidates)
            char = chr(rnd.choice([0, 1, 7, 8, 0x0B, 0x0C, 0x1B, 0x7F, 0x1F]))
            cut = rnd.randrange(len(lines[at].rstrip("\n")) + 1)
            lines[at] = lines[at][:cut] + char + lines[at][cut:]
            yield Case(f"{op}@{at + 1} {char!r}", "".join(lines), line=at + 1, message="not allowed")
        elif op == "not_utf8":
            data = "".join(lines).encode("utf-8")
            offset = sum(len(line.encode()) for line in lines[:at]) + rnd.randrange(
                max(1, len(lines[at].encode()) - 1)
            )
            junk = rnd.choice([b"\xff", b"\xc3\x28", b"\xe2\x82", b"\x80\x80", b"\xf8\x88\x80\x80\x80"])
            raw = data[:offset] + junk + data[offset:]
            yield Case(f"{op}@{at + 1}", raw=raw, line=at + 1, message="not UTF-8")
        elif op == "duplicate":
            keyed = [
                i
                for i, line in enumerate(lines)
                if line.strip()
                and line.lstrip()[0].isalpha()
                and ": " in line
                and not line.lstrip().startswith("#")
            ]
            at = rnd.choice(keyed)
            lines.insert(at + 1, lines[at] if lines[at].endswith("\n") else lines[at] + "\n")
            yield Case(f"{op}@{at + 2}", "".join(lines), message="appears twice", line=at + 2)
        elif op == "bomb":
            width, depth = rnd.randint(6, 12), rnd.randint(6, 9)
            bomb = [f"chief_product_owner: &l0 [{', '.join(['lol'] * width)}]\n"]
            for level in range(1, depth):
                refs = ", ".join([f"*l{level - 1}"] * width)
                bomb.append(f"x{level}: &l{level} [{refs}]\n")
            yield Case(f"{op} {width}^{depth}", "".join(bomb), message="alias bomb")
        elif op == "recursive":
            yield Case(
                op,
                rnd.choice(
                    ["policy: &p {teams: *p}\n", "sources: &s [*s]\n", "teams:\n  - &t {scope: [*t]}\n"]
                ),
                message="refers to the mapping or list that contains it",
            )
        elif op == "deep":
            depth = rnd.randint(65, budget.size(600, 5000))
            yield Case(
                f"{op} {depth}",
                f"policy:\n  rules: {'[' * depth}{']' * depth}\n",
                line=2,
                message="levels deep",
            )
        elif op == "truncate":
            text = "".join(lines)
            yield Case(f"{op}", text[: rnd.randrange(len(text))], expect="either")
        elif op == "binary":
            yield Case(op, raw=rnd.randbytes(rnd.randint(1, 4000)), expect="error")
        elif op == "bom":
            yield Case(op, "\ufeff" + BASE_TEXT, expect="loads")
        elif op == "crlf":
            yield Case(op, BASE_TEXT.replace("\n", "\r\n"), expect="loads")
        elif op == "tag":
            tag = rnd.choice(
                ["!!python/object/apply:os.system ['id']", "!custom x", "!!python/name:os.system"]
            )
            yield Case(f"{op} {tag}", f"chief_product_owner: {tag}\n", key="chief_product_owner", line=1)
        elif op == "bad_alias":
            yield Case(
                op, "chief_product_owner: *nowhere\n", key="chief_product_owner", line=1, message="no anchor"
            )
        elif op == "indent":
            indented = [
                i
                for i, line in enumerate(lines)
                if line.startswith("    ") and line.strip() and not line.lstrip().startswith("#")
            ]
            at = rnd.choice(indented)
            lines[at] = " " + lines[at]
            yield Case(f"{op}@{at + 1}", "".join(lines), expect="either")


def _fixed_cases() -> list[Case]:
    huge_comment = "# " + "x" * 1022 + "\n"
    many = budget.size(500, 2000)
    teams = [{"name": f"Team {i}", "source": "jira-main", "scope": {"project": f"P{i}"}} for i in range(many)]
    big = dump({**BASE, "teams": BASE["teams"] + teams})
    return [
        Case("empty file", "", expect="loads"),
        Case("only a comment", "# nothing\n", expect="loads"),
        Case("a list at the top", "- a\n- b\n", key=None, line=1, message="must be a mapping"),
        Case("a scalar at the top", "just text\n", line=1, message="must be a mapping"),
        Case(
            "huge file",
            raw=(BASE_TEXT + huge_comment * 4200).encode(),
            message="bytes, more than a config can be",
        ),
        Case(f"{many} teams", big, expect="loads"),
        Case("utf-16", raw=BASE_TEXT.encode("utf-16"), line=1, message="UTF-16"),
        Case(
            "url with a password",
            dump({**BASE, "database": {"url": f"postgresql://u:{SECRET}@db/p"}}),
            key="database.url",
            forbidden=(SECRET,),
        ),
        *(
            Case(
                f"pasted secret {dotted(path)}",
                (text := dump(with_value(path, secret))),
                key=dotted(path),
                line=line_of(text, path),
                message="looks like a secret, not the name of an environment variable",
                forbidden=(secret, secret[:12]),
            )
            for path, secret in PASTED_SECRETS.items()
        ),
        Case(
            "url_env and url",
            dump({**BASE, "database": {"url": "sqlite:///a.db", "url_env": "X"}}),
            key="database",
        ),
        Case("key as a list", "? [a, b]\n: c\n", line=1, message="plain value"),
        Case("unpaired surrogate", 'chief_product_owner: "\\ud800"\n', key="chief_product_owner", line=1),
        Case(
            "merge key",
            "sources:\n  - &s {name: a, kind: jira, url: 'https://a', auth: {token_env: T}}\n  - <<: *s\n    name: b\n",
            expect="loads",
        ),
    ]


def with_value(path: ConfigPath, value: Any) -> dict[str, Any]:
    """The valid config with one value replaced."""
    data = copy.deepcopy(BASE)
    put(data, path, value)
    return data


def cases() -> list[Case]:
    rnd = random.Random(SEED)
    schema = list(_schema_cases(rnd, budget.size(240, 2400)))
    syntax = list(_syntax_cases(rnd, budget.size(160, 1600)))
    return _fixed_cases() + schema + syntax


def check(case: Case, problems: list[ConfigProblem], name: str, text_lines: int) -> None:
    """Raise AssertionError saying what is missing when the problems do not name the file, a line and
    the key the case bent (explicit raises, not asserts: the proof runs this outside pytest)."""
    if not problems:
        raise AssertionError(f"{case.name}: ConfigError with no problems")
    for problem in problems:
        if problem.file != name or not problem.message.strip():
            raise AssertionError((case.name, problem))
        if not any(marker in problem.message for marker in FILE_LEVEL) and not (
            problem.line is not None and 1 <= problem.line <= text_lines + 1
        ):
            raise AssertionError((case.name, str(problem)))
        for secret in case.forbidden:
            if secret in str(problem):
                raise AssertionError(f"{case.name}: a secret is echoed: {problem}")
    wanted = [
        p
        for p in problems
        if (case.key is None or p.key == case.key)
        and (case.key_prefix is None or p.key.startswith(case.key_prefix))
        and (case.line is None or p.line == case.line)
        and (case.message is None or case.message in p.message)
    ]
    if not wanted:
        raise AssertionError(
            f"{case.name}: no problem names {case.key or case.key_prefix!r} on line {case.line} "
            + f"with {case.message!r}; got:\n"
            + "\n".join(map(str, problems))
        )


def run(case: Case, directory: Path) -> tuple[str, list[ConfigProblem]]:
    path = directory / "poalign.yaml"
    if case.raw is not None:
        path.write_bytes(case.raw)
        try:
            load_config(path)
        except ConfigError as error:
            return "error", error.problems
        return "loads", []
    try:
        parse_config(case.text or "", path)
    except ConfigError as error:
        return "error", error.problems
    return "loads", []
