"""Hostile `/poalign ...` comments in every format: each is read as exactly the commands it really says
(none for look-alikes, invisible characters, code, quotes, poalign's own comments and bodies past the
limits), and whatever is read is bounded, printable text the store can hold."""

from __future__ import annotations

from typing import Any

import pytest

from connectors.ado.comment_text import visible_text as ado_text
from connectors.commands import MAX_ARGUMENT, MAX_COMMANDS, parse
from connectors.jira.comment_text import visible_text as jira_text
from testkit.hostile import budget
from testkit.hostile.command_cases import CommandCase, command_cases

SCALE = 10.0 if budget.PROOF else 1.0
CASES = command_cases(SCALE)


def plain_text(case: CommandCase) -> str:
    body: Any = case.body
    if case.fmt in ("adf", "wiki"):
        return jira_text(body)
    if case.fmt in ("html", "markdown"):
        return ado_text(body, case.fmt)
    return str(body)


def said(case: CommandCase) -> tuple[tuple[str, str, str | None], ...]:
    return tuple((c.verb, c.argument, c.for_key) for c in parse(plain_text(case)))


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.variant)
def test_a_hostile_comment_says_exactly_its_real_commands(case: CommandCase) -> None:
    commands = parse(plain_text(case))
    assert said(case) == case.expected
    assert len(commands) <= MAX_COMMANDS
    for command in commands:
        assert len(command.argument) <= MAX_ARGUMENT
        assert command.argument == "" or command.argument.isprintable()
        assert "\x00" not in command.argument and "\n" not in command.argument


def test_every_format_and_both_outcomes_are_covered() -> None:
    formats = {case.fmt for case in CASES}
    assert formats == {"plain", "adf", "wiki", "html", "markdown"}
    for fmt in formats:
        outcomes = {bool(case.expected) for case in CASES if case.fmt == fmt}
        assert outcomes == {True, False}, fmt  # each format has cases that say something and that don't
    budget.record("command", len(CASES))
