"""`/poalign ...` comment commands: read from a comment's plain text, one per line.

Comment text is untrusted: anyone who can comment on an item writes it. A command is a line that starts
(after spaces) with the ASCII text `/poalign`, then a verb, then its argument and an optional `for KEY`
(which edge of the item is meant), e.g. `/poalign commit CHK Sprint 21 for PAY-13`. Case does not matter,
but only ASCII letters count: a look-alike slash (／ ∕ ⁄), a Cyrillic "о" or a long s is not our command.
A line with an invisible or direction-changing character (bidi overrides, zero-width spaces) is not a
command either: what a PO reads there is not what poalign would act on. Code blocks and quotes are taken
out by each tracker's reader before the text gets here (a quoted command was somebody else's), and a
comment carrying poalign's marker is poalign's own: it never counts.

Only the first MAX_COMMANDS commands of a comment are read, only the first MAX_TEXT characters are looked
at, and an argument longer than MAX_ARGUMENT is no command: a comment with thousands of lines costs one
pass over a bounded text.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime

from connectors.annotations import fingerprint_in

VERBS = ("need", "commit", "propose", "decline", "accept", "help")
MAX_TEXT = 100_000
MAX_COMMANDS = 20
MAX_ARGUMENT = 200
MAX_NAME = 200

# re.ASCII: under Unicode case folding "ſ" matches "s" and "K" (Kelvin) matches "k".
_COMMAND = re.compile(r"^[ \t]*/poalign(?:[ \t]+(?P<rest>.*?))?[ \t]*$", re.IGNORECASE | re.ASCII)
_VERB_REST = re.compile(r"^(?P<verb>[A-Za-z]+)(?:[ \t]+(?P<argument>.*))?$", re.ASCII)
# The trailing `for KEY`: a Jira key or an ADO id. Anything else after "for" is part of the argument
# ("decline not possible for now").
_FOR_KEY = re.compile(
    r"^(?P<argument>.*?)[ \t]*\bfor[ \t]+(?P<key>[A-Za-z][A-Za-z0-9_]*-[0-9]+|[0-9]+)$", re.I | re.A
)


@dataclass(frozen=True, slots=True)
class Command:
    verb: str  # one of VERBS; an unknown verb is read as `help` with the verb as its argument
    argument: str
    for_key: str | None = None
    position: int = 0  # which command of its comment (0: the first)

    @property
    def digest(self) -> str:
        """Identifies the command within its comment: an edit that keeps it keeps the digest."""
        text = "\x1f".join((self.verb, " ".join(self.argument.casefold().split()), self.for_key or ""))
        return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()


@dataclass(frozen=True, slots=True)
class Author:
    """Who wrote a comment, as the tracker names them (any of the three may be unknown)."""

    account_id: str | None = None
    email: str | None = None
    display_name: str | None = None

    def names(self) -> tuple[str, ...]:
        return tuple(name for name in (self.account_id, self.email, self.display_name) if name)

    @property
    def shown(self) -> str:
        return self.display_name or self.email or self.account_id or "someone"


@dataclass(frozen=True, slots=True)
class CommentCommand:
    """A command as a tracker reader hands it over: with its comment and author."""

    comment_id: str
    command: Command
    author: Author
    said_at: datetime | None = None


def is_ours(text: str) -> bool:
    """poalign's own comments carry its marker; they never count as commands (the echo guard)."""
    return fingerprint_in(text[:MAX_TEXT]) is not None


def parse(text: str | None) -> tuple[Command, ...]:
    """The commands of a comment's plain text (code and quotes already taken out), in order."""
    if not text or is_ours(text):
        return ()
    found: list[Command] = []
    for line in text[:MAX_TEXT].splitlines():
        if "/" not in line:
            continue
        command = _line(line, len(found))
        if command is not None:
            found.append(command)
            if len(found) == MAX_COMMANDS:
                break
    return tuple(found)


def _line(line: str, position: int) -> Command | None:
    match = _COMMAND.match(line)
    if match is None or not line.strip(" \t").isprintable():
        return None
    rest = " ".join((match.group("rest") or "").split())
    if len(rest) > MAX_ARGUMENT + 64:  # verb, `for KEY` and the argument's limit: longer is no command
        return None
    if not rest:
        return Command("help", "", None, position)
    words = _VERB_REST.match(rest)
    if words is None:
        return Command("help", rest[:MAX_ARGUMENT], None, position)
    verb, argument = words.group("verb").lower(), words.group("argument") or ""
    if verb not in VERBS:
        return Command("help", verb[:MAX_ARGUMENT], None, position)
    for_key = None
    if (keyed := _FOR_KEY.match(argument)) is not None:
        argument, for_key = keyed.group("argument"), keyed.group("key").upper()
    if len(argument) > MAX_ARGUMENT:
        return None
    return Command(verb, argument.strip(), for_key, position)


def clean_name(value: object) -> str | None:
    """A name, e-mail or account id from tracker JSON as we store it: printable, at most MAX_NAME long."""
    if not isinstance(value, str):
        return None
    text = "".join(ch for ch in value if ch.isprintable()).strip()
    return text[:MAX_NAME] or None
