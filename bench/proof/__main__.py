"""`make proof`: break things on purpose and publish what poalign survives.

python -m bench.proof                    # every scenario at full size (~9 min), writes docs/RELIABILITY.md
python -m bench.proof --only crash       # one scenario (soak, crash, outage, database, replicas, hostile, security)
python -m bench.proof --only replicas --update   # re-run one, and put its section into docs/RELIABILITY.md
python -m bench.proof --quick            # small sizes, to check the machinery; writes no document

Prints the figures as JSON; exit 1 when a scenario's guarantee did not hold.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.proof import report
from service.logs import configure as configure_logging

SCENARIOS = ("soak", "crash", "outage", "database", "replicas", "hostile", "security")


def scenario(name: str, quick: bool, directory: Path) -> tuple[dict[str, Any], bool]:
    """Run one scenario; its figures and whether its guarantees held."""
    if name == "soak":
        from bench.proof import soak

        figures = soak.run(400 if quick else 10_000, directory=directory)
        return figures, soak.passed(figures)
    if name == "crash":
        from bench.proof import crash

        figures = crash.run(4 if quick else 20, directory=directory)
        return figures, crash.passed(figures)
    if name == "outage":
        from bench.proof import outage

        figures = outage.run(directory=directory, hold_seconds=0 if quick else 65)
        return figures, outage.passed(figures)
    if name == "database":
        from bench.proof import database

        figures = database.run(directory=directory, edits=150 if quick else 600, restarts=1 if quick else 3)
        return figures, database.passed(figures)
    if name == "replicas":
        from bench.proof import replicas

        figures = replicas.run(300 if quick else 3000, directory=directory, minutes=1 if quick else 3)
        return figures, replicas.passed(figures)
    if name == "hostile":
        from bench.proof import hostile

        figures = hostile.run(1.0 if quick else 5.0)
        return figures, hostile.passed(figures)
    from bench.proof import security

    figures = security.run()
    return figures, security.passed(figures)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.proof",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--quick", action="store_true", help="small sizes; docs/RELIABILITY.md is not written"
    )
    parser.add_argument(
        "--only", action="append", choices=SCENARIOS, help="run only this scenario (repeatable)"
    )
    parser.add_argument(
        "--update",
        action="store_true",
        help="with --only: write these scenarios' figures into docs/RELIABILITY.md in place of theirs, "
        "each section naming its run; the other sections keep the figures of the run that wrote them",
    )
    parser.add_argument("--dir", type=Path, help="keep each scenario's stores and logs here")
    args = parser.parse_args(argv)
    if args.update and (args.quick or not args.only):
        parser.error("--update takes --only NAME at full size (a whole run writes the document anyway)")
    configure_logging("WARNING")  # stdout carries the JSON alone; the scenarios' services log to files
    names = args.only or list(SCENARIOS)
    root = args.dir or Path(tempfile.mkdtemp(prefix="poalign-proof-"))
    results: dict[str, Any] = {}
    started = time.monotonic()
    for name in names:
        print(f"proof: {name} ...", file=sys.stderr, flush=True)
        begun = time.monotonic()
        try:
            figures, held = scenario(name, args.quick, root / name)
        except Exception as error:  # a scenario that cannot finish did not hold; say why, go on
            figures, held = {"error": f"{type(error).__name__}: {error}"}, False
        results[name] = {"passed": held, "seconds": round(time.monotonic() - begun, 1), "figures": figures}
        print(
            f"proof: {name} {'held' if held else 'FAILED'} in {results[name]['seconds']} s", file=sys.stderr
        )
    summary = {
        "passed": all(result["passed"] for result in results.values()),
        "quick": args.quick,
        "seconds": round(time.monotonic() - started, 1),
        "machine": machine(),
        "commit": commit(),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "scenarios": results,
    }
    print(json.dumps(summary, indent=2, default=str))
    if not args.quick and (not args.only or args.update):
        path = report.update(summary) if args.only else report.write(summary)
        print(f"proof: figures written to {path}", file=sys.stderr)
    return 0 if summary["passed"] else 1


def machine() -> str:
    return f"{platform.machine()}, {platform.python_implementation()} {platform.python_version()}, {cpu_count()} CPUs"


def cpu_count() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def commit() -> str:
    run: Callable[..., Any] = subprocess.run
    result = run(["git", "describe", "--always", "--dirty"], capture_output=True, text=True, check=False)
    return result.stdout.strip() or "unknown"


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
