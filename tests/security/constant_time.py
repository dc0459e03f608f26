"""Find comparisons of secrets that are not constant-time, by reading the source (AST), not by running it.

A comparison (`==`, `!=`, `in`, `not in`) is flagged when one side is a secret: a value whose name says
token, secret, signature, password, credential, API key, HMAC, MAC, cookie or authorization (an attribute, a
variable, a dict key read with `.get("...")` or `[...]`, through string methods such as `.strip()`),
or a digest (`.digest()`, `.hexdigest()`, `hmac.new(...)`). Comparing against a literal (None, "",
"basic", a tuple of literals) is not flagged: that reveals nothing about the secret. The fix is
`hmac.compare_digest` (or `secrets.compare_digest`), which is not a comparison operator and so is
never flagged.

Names that look secret but are not (pagination tokens, the *names* of environment variables, lexer
tokens) are recognised by `PUBLIC_NAME`.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

SECRET_NAME = re.compile(
    r"(?i)(token|secret|signature|password|passwd|passphrase|credential|api_?key|hmac|(^|_)mac($|_)|authorization|cookie)"
)
PUBLIC_NAME = re.compile(
    r"(?i)(page_?token|next_?page|continuation|_env$|^toks?$|token_(type|kind|count|index)|"
    r"^tokenize|lexer|_names?$)"
)
# Methods that return (a form of) their receiver: the receiver decides whether the value is secret.
_PASS_THROUGH = frozenset(
    {
        "strip",
        "lstrip",
        "rstrip",
        "lower",
        "upper",
        "casefold",
        "encode",
        "decode",
        "removeprefix",
        "removesuffix",
        "partition",
        "rpartition",
        "split",
        "rsplit",
        "replace",
        "format",
    }
)
_DIGESTS = frozenset({"digest", "hexdigest"})
# Functions whose result is their argument in another form (a decoded header is as secret as the header).
_DECODERS = frozenset(
    {"b64decode", "urlsafe_b64decode", "standard_b64decode", "unquote", "unquote_plus", "str", "bytes"}
)
_EQUALITY = (ast.Eq, ast.NotEq, ast.In, ast.NotIn)
# Functions whose name looks secret but whose result is not: connectors.parsing.token(value, n) reads
# a short printable word (an event type, a delivery id) from a payload.
_PUBLIC_CALLS = frozenset({"token"})


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    expression: str
    why: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.expression}  ({self.why})"


def _is_literal(node: ast.expr) -> bool:
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return all(_is_literal(element) for element in node.elts)
    return False


def _secret(name: str) -> bool:
    return bool(SECRET_NAME.search(name)) and not PUBLIC_NAME.search(name)


class _Scope:
    """Names in one function (or module body) that hold a secret because of what was assigned to them:
    `expected = runtime.secret(name)` makes `expected` a secret, though its name does not say so."""

    def __init__(self, body: ast.AST) -> None:
        self.tainted: dict[str, str] = {}
        assignments = [node for node in _own_nodes(body) if isinstance(node, ast.Assign | ast.AnnAssign)]
        for _ in range(3):  # a chain of assignments: a = secret; b = a.strip(); c = b
            for assignment in assignments:
                if assignment.value is None:
                    continue
                why = self.why_secret(assignment.value)
                if not why:
                    continue
                targets = assignment.targets if isinstance(assignment, ast.Assign) else [assignment.target]
                for name in (n for target in targets for n in _bound_names(target)):
                    self.tainted.setdefault(name, f"assigned from {ast.unparse(assignment.value)}")

    def why_secret(self, node: ast.expr) -> str | None:
        """Why this expression holds a secret (its name, where it came from, a digest call), or None."""
        if isinstance(node, ast.Name):
            if _secret(node.id):
                return f"named {node.id!r}"
            return self.tainted.get(node.id)
        if isinstance(node, ast.Attribute):
            return f"named {node.attr!r}" if _secret(node.attr) else None
        if isinstance(node, ast.Subscript):
            key = node.slice
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                return f"read as [{key.value!r}]" if _secret(key.value) else self.why_secret(node.value)
            return self.why_secret(node.value)  # a slice or an index of a secret is still secret
        if isinstance(node, ast.Call):
            return self._call(node)
        if isinstance(node, ast.BinOp):
            return self.why_secret(node.left) or self.why_secret(node.right)
        if isinstance(node, ast.BoolOp):
            return next((found for value in node.values if (found := self.why_secret(value))), None)
        if isinstance(node, ast.IfExp):
            return self.why_secret(node.body) or self.why_secret(node.orelse)
        if isinstance(node, ast.JoinedStr):
            for value in node.values:
                if isinstance(value, ast.FormattedValue) and (found := self.why_secret(value.value)):
                    return found
        return None

    def _call(self, node: ast.Call) -> str | None:
        function = node.func
        name = function.attr if isinstance(function, ast.Attribute) else getattr(function, "id", "")
        if name in _DIGESTS:
            return f"a .{name}()"
        if (
            isinstance(function, ast.Attribute)
            and name == "new"
            and isinstance(function.value, ast.Name)
            and function.value.id == "hmac"
        ):
            return "an hmac.new(...)"
        if name in ("get", "getenv", "pop") and node.args:
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str) and _secret(first.value):
                return f"read as .{name}({first.value!r})"
        if isinstance(function, ast.Attribute) and name in _PASS_THROUGH:
            return self.why_secret(function.value)
        if name in _DECODERS:
            return next((found for argument in node.args if (found := self.why_secret(argument))), None)
        return f"named {name!r}" if name and _secret(name) and name not in _PUBLIC_CALLS else None


def _bound_names(target: ast.expr) -> Iterator[str]:
    """The variables an assignment target binds (not `d[k]` or `o.attr`, which bind none)."""
    if isinstance(target, ast.Name):
        yield target.id
    elif isinstance(target, ast.Tuple | ast.List):
        for element in target.elts:
            yield from _bound_names(element)
    elif isinstance(target, ast.Starred):
        yield from _bound_names(target.value)


def _own_nodes(body: ast.AST) -> Iterator[ast.AST]:
    """The nodes of a function or module, without descending into nested functions or classes."""
    stack = list(ast.iter_child_nodes(body))
    while stack:
        node = stack.pop()
        yield node
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda):
            stack.extend(ast.iter_child_nodes(node))


def check_source(source: str, path: str = "<string>") -> list[Finding]:
    """Every comparison in `source` that compares a secret with ==, !=, in or not in."""
    tree = ast.parse(source, filename=path)
    found: list[Finding] = []
    bodies = [
        tree,
        *(n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)),
    ]
    for body in bodies:
        scope = _Scope(body)
        for node in _own_nodes(body):
            if not isinstance(node, ast.Compare) or not any(isinstance(op, _EQUALITY) for op in node.ops):
                continue
            operands = [node.left, *node.comparators]
            if any(_is_literal(operand) for operand in operands):
                continue
            for operand in operands:
                why = scope.why_secret(operand)
                if why:
                    found.append(
                        Finding(path, node.lineno, ast.unparse(node), f"{ast.unparse(operand)} is {why}")
                    )
                    break
    return sorted(found, key=lambda finding: (finding.path, finding.line))


def python_files(roots: Iterable[Path]) -> Iterator[Path]:
    for root in roots:
        yield from sorted(path for path in root.rglob("*.py") if "__pycache__" not in path.parts)


def check_tree(roots: Iterable[Path], relative_to: Path) -> tuple[int, list[Finding]]:
    """(files read, findings) for every .py file under the roots."""
    files = 0
    found: list[Finding] = []
    for path in python_files(roots):
        files += 1
        found += check_source(path.read_text(encoding="utf-8"), str(path.relative_to(relative_to)))
    return files, found
