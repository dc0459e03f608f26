"""What a link phrase means ("is blocked by", "has to be done before"...): kind and direction.

Jira sites name their link types freely and ADO web links carry free-text comments, so direction is read
from the words: "A <phrase> B" either makes A the dependent (from) end or the prerequisite (to) end.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from connectors.records import LinkKind

# "A <phrase> B" means A depends on B.
_DEPENDENT = re.compile(
    r"^(is )?(blocked by|depends? (up)?on|requires|needs|has to be done after|triggered by|dependent on"
    r"|successor of|follows|waiting (for|on))$"
)
# "A <phrase> B" means B depends on A.
_PREREQUISITE = re.compile(
    r"^(is )?(blocks|blocking|required (by|for)|depended (up)?on by|dependent of|has to be done before"
    r"|triggering|(a )?prerequisite (of|for)|precedes|predecessor of|needed by)$"
)
_DUPLICATE = re.compile(r"^duplicates$")
_DUPLICATED = re.compile(r"^is duplicated by$")
_CHILD = re.compile(r"^(is )?(a )?(child of|part of|contained by|included by|subtask of|sub-task of)$")
_PARENT = re.compile(r"^(is )?(a )?(parent of|contains|incorporates|includes)$")
_RELATES = re.compile(
    r"^(is )?(relates to|related to|cloned (from|into|by)|(is )?(a )?clone of|clones|causes|caused by|breaks|broken by|supercedes|superceded by|supersedes|superseded by|mentions|mentioned (in|by))$"
)


@dataclass(frozen=True)
class LinkMeaning:
    kind: LinkKind
    # For directed kinds: does the phrase make the issue it is read from the "from" end
    # (dependent / duplicate / child)? None for undirected kinds.
    subject_is_from: bool | None


def meaning_of(phrase: str) -> LinkMeaning:
    """What 'A <phrase> B' means for A."""
    text = " ".join(phrase.lower().split())
    if _DEPENDENT.match(text):
        return LinkMeaning("depends_on", True)
    if _PREREQUISITE.match(text):
        return LinkMeaning("depends_on", False)
    if _DUPLICATE.match(text):
        return LinkMeaning("duplicates", True)
    if _DUPLICATED.match(text):
        return LinkMeaning("duplicates", False)
    if _CHILD.match(text):
        return LinkMeaning("parent", True)
    if _PARENT.match(text):
        return LinkMeaning("parent", False)
    if _RELATES.match(text):
        return LinkMeaning("relates", None)
    return LinkMeaning("other", None)
