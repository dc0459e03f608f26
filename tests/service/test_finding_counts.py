"""The words that say what a count of findings counts (service.finding_counts)."""

from __future__ import annotations

from service.finding_counts import FindingCounts, count, is_preview


def test_preview_rules_are_told_apart_and_an_unknown_code_is_not_posted_either() -> None:
    assert is_preview("DOD004") and is_preview("PRI003")
    assert not is_preview("DEP001") and not is_preview("dep001")
    assert is_preview("XYZ999")  # the write-back posts only stable rules' findings


def test_counts_split_cross_team_single_team_no_team_and_preview() -> None:
    counts = count(
        [
            ("DEP001", ["Payments", "Storefront"]),
            ("DOD004", ["Payments", "Accounts"]),
            ("DOD004", ["Accounts"]),
            ("DEP007", []),
            ("PRI001", ["Payments"]),
        ]
    )
    assert counts == FindingCounts(total=5, cross_team=2, preview=2, no_team=1)
    assert counts.sentence() == (
        "5 open findings: 2 cross-team, 2 within one team, 1 of no team; "
        "2 from preview rules, listed here but not posted to the trackers yet"
    )


def test_the_sentence_reads_for_one_none_and_any_status() -> None:
    assert count([("DEP001", ["A", "B"])]).sentence() == "1 open finding: 1 cross-team, 0 within one team"
    assert count([]).sentence("resolved") == "0 resolved findings"
    assert count([("DEP001", ["A"]), ("DEP002", ["A"])]).sentence("") == (
        "2 findings: 0 cross-team, 2 within one team"
    )
