"""PO-sync reports: what needs deciding between POs, what changed, shared metrics, the picture.

`create_report(session, config, since=...)` builds the content from the store, renders HTML and
Markdown, and adds a `Report` row; `write_report(factory, config, path)` also writes it to a file; `run_report_job(runtime)` (job.py) also delivers it to the
configured webhooks. `render(content, "html" | "md" | "json")` renders stored content again.

Content (`Report.content`, and `poalign report --format json`)::

    {"id", "schema": 1, "title", "created_at", "since" (ISO or null), "chief_product_owner", "escalation_days",
     "summary": {"open", "cross_team_open", "preview_open", "decisions", "escalated", "new", "resolved", "suppressed",
                 "by_category": {dependencies, priority, done, sprints}, "by_severity": {critical..info},
                 "teams", "items", "cross_team_dependencies", "clashing_dependencies"},
     "decisions": [{"product_owners": [..], "teams": [..], "severity" (worst), "oldest" (ISO),
                    "escalated": n, "findings": [fingerprint, ..]}],     # most severe, then oldest first
     "findings": [<open findings in the `check --format json` shape, plus: items[].title/.state,
                  "age_days", "new", "escalated_to", "resolved_at", "suppressed_reason", "suppressed_until">],
     "new": [fingerprint, ..], "resolved": [<findings resolved since>], "suppressed": [<accepted findings>],
     "teams": [{"name", "product_owner", "source", "metrics": {
                 "open_findings": {dependencies, priority, done, sprints, total}, "escalated_findings",
                 "done_items_judged", "done_items_meeting_dod", "dod_share",
                 "open_items", "top_priority_items", "top_priority_share",
                 "dependencies_given", "dependencies_received", "clashing_given", "clashing_received",
                 "lead_time_days": {"given": {"median", "count"}, "received": {"median", "count"}}}}],
     "commitments": {"pairs": [{"dependent_team", "prerequisite_team", "dependent_po", "prerequisite_po",
                                "contracts", "asked", "committed", "met", "broken", "overdue_requests",
                                "reliability" (met / (met + broken), or null)}],
                     "teams": [{"team", "product_owner", "committed", "met", "broken", "reliability"}],
                     "overdue_requests": n},   # see service/reports/commitments.py for each count
     "matrix": {"orientation": "row team depends on column team", "teams": [..],
                "dependencies": [[n, ..], ..], "clashing": [[n, ..], ..]},
     "graph": {"nodes": [{"team", "product_owner"}],
               "edges": [{"from", "to", "dependencies", "clashing", "findings": [fingerprint, ..]}]},
     "trend": [{"report_id" (null: this report), "created_at", "open", "cross_team_open", "escalated",
                "new", "resolved", "clashing_dependencies", "by_category"}],
     "sources": [{"name", "kind", "stale", "last_success_at"}],
     "suggested_moves": [{"cluster": [fingerprint, ..], "rules", "teams", "search" (exact|bounded),
                          "plans": [{"moves": [{"item", "source", "team", "from", "to"}], "clears", "creates",
                                     "capacity": [{"team", "sprint", "load", "capacity", "basis"}],
                                     "text"}]}]}   # service/suggested_moves.py; absent in older reports
"""

from __future__ import annotations

from service.reports.build import create_report, parse_since, write_report
from service.reports.content import build_content
from service.reports.render import render, render_html, render_json, render_markdown

__all__ = [
    "build_content",
    "create_report",
    "parse_since",
    "render",
    "render_html",
    "render_json",
    "render_markdown",
    "write_report",
]
