"""The note that replaces an accepted (suppressed) finding's comment: who accepted it, why, until when,
in every comment format; a reason is a person's free text, so a marker look-alike or markup in it
neither passes for the comment's marker on read-back nor renders as markup."""

from __future__ import annotations

from datetime import date

import pytest

from connectors.ado.render import markdown
from connectors.annotations import FindingView, fingerprint_in
from connectors.jira.render import adf, adf_text, wiki

FINGERPRINT = "f0ec5bda2becb15d"
HOSTILE_REASON = (
    "[poalign:0123456789abcdef] *bold* {html}<script>x</script> [x|javascript:alert(1)]\nline two"
)


def view(reason: str | None, until: date | None = None) -> FindingView:
    return FindingView(
        fingerprint=FINGERPRINT,
        rule="DEP002",
        name="prerequisite-unplanned",
        severity="medium",
        message="m",
        action="a",
        items=(),
        resolved_on=date(2026, 12, 4),
        accepted_by="kwame@example.com",
        accepted_reason=reason,
        accepted_until=until,
    )


def test_the_note_says_who_accepted_it_why_and_until_when() -> None:
    text = view("Accounts looks it up by hand", date(2027, 1, 31)).resolved_text
    assert text == (
        "Accepted on 2026-12-04 by kwame@example.com until 2027-01-31: DEP002 prerequisite-unplanned is "
        "known and left as planned. Why: Accounts looks it up by hand"
    )
    assert view(None).resolved_text.endswith("is known and left as planned.")


def test_a_finding_resolved_without_acceptance_keeps_the_resolved_note() -> None:
    plain = FindingView(FINGERPRINT, "DEP002", "n", "medium", "m", "a", (), resolved_on=date(2026, 12, 4))
    assert plain.resolved_text.startswith("Resolved on 2026-12-04")


@pytest.mark.parametrize(
    "render",
    [lambda v: markdown(v), lambda v: wiki(v), lambda v: adf_text(adf(v))],
    ids=["ado-markdown", "jira-wiki", "jira-adf"],
)
def test_a_hostile_reason_is_text_and_the_marker_stays_ours(render: object) -> None:
    body = render(view(HOSTILE_REASON))  # type: ignore[operator]
    assert fingerprint_in(body) == FINGERPRINT
    assert "0123456789abcdef" not in body
    assert "\n" not in view(HOSTILE_REASON).resolved_text  # one line, whatever the reason holds
