"""The security checks, for the proof summary: tests/security run as they run in `make test`, and the
figures they count.

Every check of tests/security is meaningful only with the real parts around it (the sandbox trackers,
`poalign serve`, Chromium, a store), which is what its fixtures set up, so the proof runs that suite in
a child pytest and reads back two things: the JUnit XML (how many checks ran, failed, were skipped)
and the figures the tests counted (tests/security/conftest.py writes them to the file named by
POALIGN_SECURITY_FIGURES):

- secrets_checked, secret_forms_checked, artifacts_scanned, bytes_scanned, secret_hits: every secret of
  the config, as itself, percent-encoded and in base64, searched in every log, report, stored row,
  comment and HTTP response of an end-to-end run (test_secrets.py);
- routes_checked, routes_public, unauthenticated_accepted: every route of the app tried with 14 wrong
  credentials (test_api_auth.py);
- constant_time_files_checked, constant_time_sites_proven, non_constant_time_compares (test_constant_time.py);
- ssrf_urls_refused: outbound report URLs refused in every notation and through redirects
  (test_outbound_urls.py);
- hostile_titles_rendered_safely, hostile_names_rendered_safely, hostile_documents_rendered,
  hostile_comments_checked: hostile tracker text through comments, reports and the dashboard in
  Chromium (test_hostile_text.py);
- rate_limit_429s: floods answered 429 with Retry-After (test_webhook_limits.py).

`passed` holds only when every check ran (none skipped: a missing Chromium or PostgreSQL is a failed
proof, not a green one), none failed, no secret was found and no route let a wrong credential in.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ElementTree
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
FIGURES_ENV = "POALIGN_SECURITY_FIGURES"  # tests/security/conftest.py writes its counts there


def _junit(path: Path) -> dict[str, int]:
    if not path.is_file():
        return {"checks": 0, "failed": 0, "skipped": 0}
    root = ElementTree.parse(path).getroot()  # our own pytest's report
    suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
    total = {"checks": 0, "failed": 0, "skipped": 0}
    for suite in suites:
        total["checks"] += int(suite.get("tests", 0))
        total["failed"] += int(suite.get("failures", 0)) + int(suite.get("errors", 0))
        total["skipped"] += int(suite.get("skipped", 0))
    return total


def run(directory: Path | None = None, timeout: float = 900) -> dict[str, Any]:
    """Run tests/security in a child pytest; its check counts and figures, and whether it passed."""
    work = Path(directory) if directory else Path(tempfile.mkdtemp(prefix="poalign-proof-security-"))
    work.mkdir(parents=True, exist_ok=True)
    figures_path, junit_path = work / "security-figures.json", work / "security-junit.xml"
    for stale in (figures_path, junit_path):
        stale.unlink(missing_ok=True)
    command = [
        sys.executable,
        "-m",
        "pytest",
        "tests/security",
        "-q",
        "-p",
        "no:cacheprovider",
        f"--junitxml={junit_path}",
    ]
    started = time.monotonic()
    result = subprocess.run(
        command,
        cwd=ROOT,
        env={**os.environ, FIGURES_ENV: str(figures_path)},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    seconds = round(time.monotonic() - started, 1)
    counted: dict[str, Any] = (
        json.loads(figures_path.read_text(encoding="utf-8")) if figures_path.is_file() else {}
    )
    checks = _junit(junit_path)
    figures: dict[str, Any] = {
        **counted,
        **checks,
        "seconds": seconds,
        "pytest_exit_code": result.returncode,
    }
    figures["passed"] = passed(figures)
    if not figures["passed"]:
        figures["output_tail"] = (result.stdout + result.stderr)[-3000:]
    return figures


def passed(figures: dict[str, Any]) -> bool:
    return (
        figures.get("pytest_exit_code") == 0
        and figures.get("checks", 0) > 0
        and figures.get("failed", 1) == 0
        and figures.get("skipped", 1) == 0
        and figures.get("secret_hits", 1) == 0
        and figures.get("unauthenticated_accepted", 1) == 0
        and figures.get("non_constant_time_compares", 1) == 0
        and figures.get("artifacts_scanned", 0) > 0
        and figures.get("routes_checked", 0) > 0
    )


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
