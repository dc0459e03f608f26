"""Secrets are compared in constant time: no `==`, `!=` or `in` on a token, signature or password in
service/, connectors/ or sandbox/ (`poalign sandbox serve` listens on a network too)."""

from __future__ import annotations

import ast
from collections import Counter
from pathlib import Path

import pytest

from tests.security.constant_time import check_source, check_tree, python_files

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = [ROOT / "service", ROOT / "connectors", ROOT / "sandbox"]
# Reviewed exceptions: (file, expression) -> why it is not a secret. Keep this short.
NOT_SECRETS = {
    (
        "sandbox/jira/search_routes.py",
        "payload['q'] != hashlib.sha1(text.encode()).hexdigest()[:12]",
    ): "the query fingerprint inside a Jira page token the client already holds, not a secret",
    (
        "connectors/jira/oauth.py",
        "grant.access_token in self._rejected",
    ): "poalign's own stored access token against those the gateway refused it: no caller-supplied value"
    " is compared, so timing tells an attacker nothing",
}


def test_no_secret_is_compared_with_an_operator(figures: Counter[str]) -> None:
    files, found = check_tree(PACKAGES, ROOT)
    figures["constant_time_files_checked"] = files
    assert files > 100, "the check read too few files to mean anything"
    unexplained = [finding for finding in found if (finding.path, finding.expression) not in NOT_SECRETS]
    figures["non_constant_time_compares"] = len(unexplained)
    assert unexplained == [], "use hmac.compare_digest for these:\n" + "\n".join(map(str, unexplained))
    stale = set(NOT_SECRETS) - {(finding.path, finding.expression) for finding in found}
    assert not stale, f"exceptions that no longer match anything (remove them): {stale}"


FLAGGED = {
    "a token compared with ==": "def ok(token, expected):\n    return token == expected\n",
    "a password with !=": "def ok(user):\n    return user.password != stored\n",
    "membership of a secret": "def ok(api_key, keys):\n    return api_key in keys\n",
    "a header read by name": (
        "def ok(request, body):\n    return request.headers.get('X-Hub-Signature') == sign(body)\n"
    ),
    "a digest": (
        "import hmac\ndef ok(key, body, given):\n"
        "    return hmac.new(key, body, 'sha256').hexdigest() == given\n"
    ),
    "a secret through string methods": "def ok(h, secret):\n    return h[7:].strip().lower() == secret\n",
    "a secret under another name": (
        "def ok(runtime, request):\n"
        "    expected = runtime.secret(runtime.config.api.token_env)\n"
        "    given = request.cookies.get('poalign_token', '')\n"
        "    return given.strip() != expected\n"
    ),
    "a secret unpacked from a header": (
        "import base64\ndef ok(header, password):\n"
        "    user, _, given = base64.b64decode(header[6:]).decode().partition(':')\n"
        "    return given == password\n"
    ),
}
NOT_FLAGGED = {
    "compare_digest": "import hmac\ndef ok(token, expected):\n    return hmac.compare_digest(token, expected)\n",
    "secrets.compare_digest": "import secrets\ndef ok(a, token):\n    return secrets.compare_digest(a, token)\n",
    "against None": "def ok(token):\n    return token is None or token == None\n",
    "against a literal": "def ok(auth):\n    return auth.scheme == 'basic' and auth.token_env != ''\n",
    "a pagination token": "def ok(page_token, previous):\n    return page_token == previous\n",
    "the name of a variable": "def ok(token_env, names):\n    return token_env in names\n",
    "a content hash": "def ok(row, digest):\n    return row.record_hash == digest\n",
}


@pytest.mark.parametrize("source", FLAGGED.values(), ids=FLAGGED.keys())
def test_the_check_flags_operator_comparisons_of_secrets(source: str) -> None:
    assert len(check_source(source)) == 1, source


@pytest.mark.parametrize("source", NOT_FLAGGED.values(), ids=NOT_FLAGGED.keys())
def test_the_check_leaves_constant_time_and_public_comparisons_alone(source: str) -> None:
    assert check_source(source) == [], source


def _offset(source: str, line: int, column: int) -> int:
    """Character offset of an AST position (whose column counts UTF-8 bytes)."""
    lines = source.splitlines(keepends=True)
    return sum(len(text) for text in lines[: line - 1]) + len(lines[line - 1].encode()[:column].decode())


def _reverted(source: str, call: ast.Call) -> str:
    """What a careless edit would make of one call: hmac.compare_digest(a, b) → ((a) == (b))."""
    first, second = (ast.get_source_segment(source, argument) for argument in call.args)
    start = _offset(source, call.lineno, call.col_offset)
    end = _offset(source, call.end_lineno or call.lineno, call.end_col_offset or 0)
    return f"{source[:start]}(({first}) == ({second})){source[end:]}"


def test_every_constant_time_compare_in_the_code_would_be_caught_if_reverted(figures: Counter[str]) -> None:
    sites: list[str] = []
    for path in python_files(PACKAGES):
        source = path.read_text(encoding="utf-8")
        calls = [
            node
            for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "compare_digest"
            and len(node.args) == 2
        ]
        for call in calls:
            where = f"{path.relative_to(ROOT)}:{call.lineno}"
            flagged = {finding.line for finding in check_source(_reverted(source, call), where)}
            assert call.lineno in flagged, f"reverting compare_digest at {where} would go unnoticed"
            sites.append(where)
    # the Jira signature, ADO basic auth and header secret, the API token, the dashboard login, the sandbox
    assert len(sites) >= 6, sites
    figures["constant_time_sites_proven"] = len(sites)
