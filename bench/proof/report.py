"""docs/RELIABILITY.md, written from one `make proof` run: every figure in it is one the run printed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

DOCUMENT = Path(__file__).resolve().parents[2] / "docs" / "RELIABILITY.md"

INTRO = """\
# What poalign survives

Integration services earn trust by saying what they guarantee and by breaking themselves on purpose
to check it. These are poalign's guarantees and the figures of the run that checked them. The run is
`make proof` (`python -m bench.proof`): real `poalign serve` processes, the sandbox trackers over
real HTTP, SQLite and a real PostgreSQL server. This file is written by that run; do not edit it by
hand: run `make proof` and commit what it writes.

**Guarantees.** A webhook is answered 202 only once it is stored (a 503 otherwise, and the tracker
retries): at-least-once intake. Each delivery id is stored and processed once, however often it
arrives and in whatever order: payloads only say which items to re-read, and an older read never
overwrites a newer one. Every tracker call has a timeout and a bounded number of retries that honour
Retry-After; a tracker that stays down makes its source stale, not the others. A comment carries a
marker, so a crash between the tracker's answer and our commit never posts it twice. A process that
dies is replaced by one that catches up: the inbox and the outbox are in the database.

Run {commit}, {date}, on {machine}; {seconds} s in all. Result: **{verdict}**.
"""

SECTIONS: list[tuple[str, str, str, list[tuple[str, str]]]] = [
    (
        "soak",
        "Soak: thousands of deliveries while the trackers fail",
        "The sandbox throttles or fails a tenth of poalign's requests (429 with Retry-After, 500, 503, "
        "connection resets, truncated bodies, slow answers) while edits stream in as webhooks: a fifth of "
        "the deliveries are re-sent, a tenth held back until newer ones went first, and a sync runs every "
        "few seconds on the same items. Lost events are counted against the sandbox's own log of what "
        "the trackers emitted; the store and findings are compared with a clean sync and evaluation of "
        "the trackers' final state.",
        [
            ("deliveries_sent", "deliveries sent"),
            ("unique_deliveries", "distinct deliveries the trackers emitted"),
            ("duplicates_sent", "re-sent duplicates"),
            ("held_back_then_sent_late", "held back, then sent after newer ones"),
            ("sent_after_a_newer_delivery", "sends that came after a newer delivery"),
            ("changes_made", "edits made in the trackers"),
            ("tracker_requests", "requests poalign made to the trackers"),
            ("tracker_faults_injected", "of which the sandbox failed or throttled"),
            ("syncs_during_soak", "syncs run during the soak"),
            ("lost_events", "lost events"),
            ("store_equals_clean_sync", "store equals a clean sync"),
            ("findings_equal_clean_evaluation", "findings equal a clean evaluation"),
            ("findings", "open findings at the end"),
            ("duplicate_comments", "comments posted twice"),
            ("seconds_until_drained", "seconds until the inbox was drained"),
        ],
    ),
    (
        "crash",
        "Crash: SIGKILL at random points",
        "`poalign serve` is killed (SIGKILL) at random moments of a sync (after a random number of "
        "tracker reads), of inbox processing (just after it began re-reading a delivered item) and of "
        "annotation delivery (after a random number of tracker writes), and started again each time. "
        "The same edits are played on a second sandbox by a service that is never killed; both ends are "
        "compared: store, findings, and every comment and label poalign left on the trackers.",
        [
            ("kills", "kills"),
            ("kills_by_target", "aimed at"),
            ("phases", "phases played (initial full sync, webhook edits, syncs after lost webhooks)"),
            ("edits", "edits made in the trackers"),
            ("store_equals_clean_sync", "store equals a clean sync of the same trackers"),
            ("store_identical", "store content identical to the never-killed run"),
            ("findings_identical", "findings identical to the never-killed run"),
            ("tracker_marks", "comments and labels poalign keeps on the trackers"),
            (
                "tracker_comments_and_labels_identical",
                "comments and labels identical to the never-killed run",
            ),
            ("duplicate_comments", "comments posted twice"),
        ],
    ),
    (
        "outage",
        "Tracker outage: Azure DevOps down for a sync window",
        "Azure DevOps answers only 503s and connection resets for longer than one incremental-sync period "
        "while both trackers keep changing and their webhooks keep coming. Then it comes back.",
        [
            ("outage_seconds", "seconds Azure DevOps was down"),
            ("source_syncs_failed_during_outage", "syncs that failed for the down source"),
            ("jira_findings_equal_clean_run", "Jira teams' findings during the outage equal a clean run"),
            ("new_findings_during_outage", "new Jira findings produced during the outage"),
            ("readyz_during", "/readyz during the outage"),
            ("readyz_ado_stale_during", "/readyz reports Azure DevOps stale"),
            ("report_marks_ado_stale_during", "the report marks Azure DevOps stale, Jira fresh"),
            ("events_waiting_at_end_of_outage", "Azure DevOps events waiting in the inbox (not dropped)"),
            ("events_given_up_during_outage", "events given up"),
            ("readyz_after", "/readyz after recovery"),
            ("events_lost", "events lost"),
            ("store_equals_clean_sync_after", "store equals a clean sync after recovery"),
            ("findings_equal_clean_evaluation_after", "findings equal a clean evaluation after recovery"),
        ],
    ),
    (
        "database",
        "Database: PostgreSQL restarted mid-run",
        "PostgreSQL is restarted (`pg_ctl restart -m fast`, every connection cut) while edits stream in "
        "as webhooks and a sync is running. The service is not restarted: it must reconnect by itself.",
        [
            ("restarts", "restarts"),
            ("database_down_seconds", "seconds down each time"),
            ("deliveries", "deliveries"),
            ("webhook_answers_refused", "webhook answers that made the tracker retry"),
            ("readyz_answers_around_restarts", "/readyz answers around the restarts"),
            ("service_recovered_without_restart", "service recovered without a restart"),
            ("lost_events", "events lost"),
            ("store_equals_clean_sync", "store equals a clean sync"),
            ("findings_equal_clean_evaluation", "findings equal a clean evaluation"),
            ("duplicate_comments", "comments posted twice"),
        ],
    ),
    (
        "replicas",
        "Replicas: three on one PostgreSQL, one killed mid-soak",
        "Three `poalign serve` processes (API, webhooks, inbox worker and scheduler each, as in "
        "production) share one PostgreSQL store, created once by `poalign db upgrade`. A load balancer "
        "spreads a webhook soak round-robin over them (a fifth re-sent, often to another replica; a "
        "tenth held back until newer ones went first) and passes a replica that does not answer over. "
        "Halfway, the replica running a scheduled job is SIGKILLed and started again a few seconds later. "
        "The schedule is shortened (annotate every 3 s, sync and report every minute, a full sync every "
        "two); every replica fires on the same ticks, and the job-run table must show one run per tick "
        "of each job, across the three (or the tick folded into a run still in progress).",
        [
            ("deliveries_sent", "deliveries sent"),
            ("unique_deliveries", "distinct deliveries the trackers emitted"),
            ("accepted_by_replica", "accepted by each replica"),
            ("passed_over_by_the_balancer", "attempts the balancer passed to the next replica"),
            ("kill", "the kill"),
            ("inbox_rows", "events in the inbox (one per delivery id)"),
            ("lost_events", "lost events"),
            ("event_processings", "event processings recorded by the drain rounds"),
            ("drain_rounds_cut_by_the_kill", "drain rounds the kill cut off (their counts are lost)"),
            ("duplicate_comments", "comments posted twice"),
            ("duplicate_labels", "labels/tags set twice"),
            ("annotations_not_delivered", "comments and labels not delivered"),
            ("store_equals_clean_sync", "store equals a clean sync"),
            ("findings_equal_clean_evaluation", "findings equal a clean evaluation"),
            ("seconds_scheduled", "seconds the schedule ran"),
            ("job_ticks", "ticks, runs, ticks run twice, missed or folded into a running run, per job"),
            ("ticks_run_twice", "ticks a job ran twice"),
            ("ticks_missed", "ticks no replica ran"),
            ("scheduled_runs_by_replica", "scheduled runs by each process (the restarted one counts twice)"),
            ("reports_stored", "reports stored (one per report run)"),
        ],
    ),
    (
        "hostile",
        "Bad input",
        "Generated malformed and hostile inputs: webhook bodies, headers and signatures, oversized "
        "bodies, config files, world files, and tracker JSON with missing or odd fields and dates in "
        "every format the trackers use.",
        [],
    ),
    (
        "security",
        "Security checks",
        "Known secrets set and every log line (at every level), report and comment grepped for them; "
        "every API route called without and with a wrong token; comparisons of secrets checked for "
        "constant time; outbound report URLs to private ranges refused; a hostile-title world run end "
        "to end and opened in Chromium; webhook size and rate limits.",
        [],
    ),
]


def value(figure: Any) -> str:
    if isinstance(figure, bool):
        return "yes" if figure else "**no**"
    if isinstance(figure, dict | list):
        return "`" + json.dumps(figure, sort_keys=True) + "`"
    return str(figure)


def render(summary: dict[str, Any]) -> str:
    parts = [
        INTRO.format(
            commit=summary["commit"],
            date=summary["date"],
            machine=summary["machine"],
            seconds=summary["seconds"],
            verdict="every guarantee held" if summary["passed"] else "a guarantee did NOT hold",
        )
    ]
    for name, title, what, rows in SECTIONS:
        result = summary["scenarios"].get(name)
        if result is None:
            continue
        figures = result["figures"]
        status = "held" if result["passed"] else "**FAILED**"
        own_run = ""  # a section re-run on its own (--only NAME --update) names its run
        if "date" in result:
            own_run = f"; run {result['commit']}, {result['date']}, on {result['machine']}"
        parts.append(f"## {title}\n\n{what}\n\nResult: {status} ({result['seconds']} s{own_run}).\n")
        shown = rows or [
            (key, key.replace("_", " ")) for key in figures if not isinstance(figures[key], list)
        ]
        table = ["| figure | value |", "| --- | --- |"]
        table += [f"| {label} | {value(figures[key])} |" for key, label in shown if key in figures]
        parts.append("\n".join(table) + "\n")
    parts.append(
        "## The run's own output\n\nWhat `make proof` printed (figures only; the JSON is the source of "
        "every number above).\n\n```json\n" + json.dumps(summary, indent=2, default=str) + "\n```\n"
    )
    return "\n".join(parts)


def write(summary: dict[str, Any], path: Path = DOCUMENT) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(summary))
    return path


def update(summary: dict[str, Any], path: Path = DOCUMENT) -> Path:
    """Put the scenarios of `summary` (a run of some of them) into the document in place of the ones
    there, each marked with its own run; the others keep the figures of the run that wrote them."""
    text = path.read_text()
    start = text.rindex("```json\n") + len("```json\n")
    previous: dict[str, Any] = json.loads(text[start : text.index("\n```", start)])
    for name, result in summary["scenarios"].items():
        previous["scenarios"][name] = {
            **result,
            "commit": summary["commit"],
            "date": summary["date"],
            "machine": summary["machine"],
        }
    previous["passed"] = all(result["passed"] for result in previous["scenarios"].values())
    return write(previous, path)
