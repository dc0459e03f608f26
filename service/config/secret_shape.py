"""Whether a config value is shaped like a secret rather than the name of an environment variable."""

from __future__ import annotations

import math
import re
from itertools import pairwise

# Prefixes of tokens as their issuers hand them out (GitHub, Slack, GitLab, Atlassian, JWTs, AWS, OpenAI).
_TOKEN_PREFIXES = (
    "ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_", "xoxb-", "xoxp-", "xoxa-", "xoxe-", "xoxs-",
    "xapp-", "glpat-", "ATATT", "ATCTT", "eyJ", "AKIA", "sk-",
)  # fmt: skip


def looks_like_secret(value: str) -> bool:
    """A token pasted where a variable's NAME belongs: a known token prefix, a long random-looking run
    of letters and digits (an Azure DevOps PAT is 52 of them), or letters of both cases and digits
    switching as often as random text does (names are words joined by underscores)."""
    if value.startswith(_TOKEN_PREFIXES):
        return True
    if len(value) < 20:
        return False
    for run in re.split(r"[^A-Za-z0-9]+", value):
        if len(run) >= 20 and len(re.findall(r"\d+", run)) >= 2 and _entropy(run) >= 3.0:
            return True
    kinds = [_kind(ch) for ch in value]
    switches = sum(a != b for a, b in pairwise(kinds))
    return {"lower", "upper", "digit"} <= set(kinds) and switches / len(value) >= 0.4


def _kind(ch: str) -> str:
    return "lower" if ch.islower() else "upper" if ch.isupper() else "digit" if ch.isdigit() else "other"


def _entropy(text: str) -> float:
    """Shannon entropy in bits per character."""
    counts = [text.count(ch) for ch in set(text)]
    return -sum(n / len(text) * math.log2(n / len(text)) for n in counts)
