"""The report says what its counts count: all open, cross-team, and from preview rules (not posted)."""

from __future__ import annotations

import copy

from service.reports import create_report, render
from tests.service.reports.planted_store import World


def test_the_report_says_how_its_totals_relate_in_html_and_markdown(planted: World) -> None:
    with planted.factory.begin() as session:
        content = create_report(session, planted.loaded.config).content
    s = content["summary"]
    cross = sum(1 for f in content["findings"] if len(f["teams"]) >= 2)
    assert (s["open"], s["cross_team_open"]) == (len(content["findings"]), cross)
    said = (
        f"{s['open']} open findings: {cross} cross-team (the decisions below), the other {s['open'] - cross} "
    )
    for output in ("html", "md"):
        assert said in " ".join(render(content, output).split()), output

    with_preview = copy.deepcopy(content)
    with_preview["summary"]["preview_open"] = 2
    for output in ("html", "md"):
        text = " ".join(render(with_preview, output).split())
        assert "; 2 from preview rules, listed but not posted to the trackers yet." in text, output

    # a report stored before the summary had preview_open still renders, without the clause
    older = copy.deepcopy(content)
    del older["summary"]["preview_open"]
    for output in ("html", "md"):
        text = render(older, output)
        assert said in " ".join(text.split()) and "preview rules" not in text, output
