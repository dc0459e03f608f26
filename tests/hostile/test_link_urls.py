"""Hostile link URLs (tracker text: anyone can paste a link) through DEP007's alias hint
(rules.links): nothing raises, and a hint is only ever a plain http(s) prefix of the URL itself."""

from __future__ import annotations

from datetime import date

import pytest

from rules import Edge, Item, Policy, Snapshot, Team
from rules.links import alias_for, alias_hint, best_alias, last_segment
from tests.hostile.strings import HOSTILE

KNOWN = "http://127.0.0.1:8080/browse/PAY-12"
URLS = [
    *(f"https://evil.example/browse/{text}" for text in HOSTILE),
    *(f"{text}/browse/PAY-12" for text in HOSTILE),
    "http://[::1/browse/PAY-12",  # unbalanced IPv6 bracket: urlsplit raises
    "javascript:alert(1)//browse/PAY-12",
    "file:///etc/passwd/browse/PAY-12",
    "https://user:pw@host.example/browse/PAY-12",
    "https:///browse/PAY-12",
    "https://host.example/" + "a/" * 5000 + "browse/PAY-12",
    "https://host.example/browse/PAY-12?x=<script>#frag",
    "https://h\u0000ost.example/browse/PAY-12",
    "https://xn--80ak6aa92e.example/browse/pay-12",
    "",
    "/",
]


@pytest.mark.parametrize("url", URLS, ids=range(len(URLS)))
def test_a_hostile_link_url_gives_no_hint_or_a_plain_prefix_of_itself(url: str) -> None:
    last_segment(url)
    for bases in ((), ("http://127.0.0.1:8080",)):
        alias = alias_for(url, KNOWN, bases)
        if alias is not None:
            assert url.casefold().startswith(alias.casefold())
            assert alias.split(":", 1)[0].lower() in ("http", "https") and alias.isprintable()
    best = best_alias(url, [("jira-pay", KNOWN), ("jira-pay", None)])
    assert best is None or url.casefold().startswith(best[1].casefold())
    item = Item("jira-pay:PAY-12", "jira-pay", "PAY-12", url=KNOWN, team="Payments")
    other = Item("ado-plat:1", "ado-plat", "1", team="Platform")
    edge = Edge("ado-plat:1", f"url:{url}", origin="ado-plat:1")
    snapshot = Snapshot([item, other], [edge], [Team("Payments")], Policy(), date(2025, 1, 1))
    hint = alias_hint(snapshot, f"url:{url}")
    assert hint is None or url.casefold().startswith(hint.alias.casefold())
