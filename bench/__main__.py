"""`make bench`: run the benchmark suites, print their figures as JSON and write bench/results.json.

python -m bench                 # everything, full sizes (the naive sync baseline alone takes ~10 min)
python -m bench --quick         # small sizes, no naive baseline: for checking the machinery
python -m bench --only sync     # one suite (sync, rules, webhook, planning, contracts); sync includes the peers (tap-jira,
                                # Airbyte's source-jira), installed into .bench-peers/ when missing
python -m bench --only budget   # sync under Jira's burst/points and ADO's TSTU limits, emulated: the ratio to
                                # the limit-imposed lower bound
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict

from bench import figures as figures_module
from bench.figures import Figure
from service.logs import configure as configure_logging


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="small sizes, skip the naive baseline")
    parser.add_argument(
        "--only",
        action="append",
        choices=["sync", "rules", "webhook", "planning", "contracts", "budget"],
        help="run only this suite",
    )
    args = parser.parse_args(argv)
    suites = args.only or ["sync", "budget", "rules", "webhook", "planning", "contracts"]
    configure_logging("WARNING")  # stdout carries the JSON alone; in-process services log to stderr
    collected: list[Figure] = []
    if "sync" in suites:
        from bench import sync_bench

        collected += sync_bench.run(5_000 if args.quick else 50_000, naive=not args.quick)
        from bench import peer_bench

        collected += peer_bench.run(400 if args.quick else 4_050)
    if "budget" in suites:
        from bench import budget_bench

        collected += budget_bench.run(5_000 if args.quick else 50_000)
    if "rules" in suites:
        from bench import rules_bench

        collected += rules_bench.run(quick=args.quick)
    if "webhook" in suites:
        from bench import webhook_bench

        collected += webhook_bench.run(quick=args.quick)
    if "planning" in suites:
        from bench import planning_bench

        collected += planning_bench.run(quick=args.quick)
    if "contracts" in suites:
        from bench import contracts_bench

        collected += contracts_bench.run(quick=args.quick)
    if not args.quick:
        figures_module.write(collected)
    print(json.dumps([asdict(f) for f in collected], indent=2))
    missed = [f.name for f in collected if f.met is False]
    if missed:
        print(f"targets missed: {', '.join(missed)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
