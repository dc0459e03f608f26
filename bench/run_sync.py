"""Runs in its own process: one sync (ours or the naive baseline), timed, with the process's peak RSS.

    python -m bench.run_sync ours  CONFIG [--full]
    python -m bench.run_sync naive CONFIG
Prints one JSON object.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from typing import Any


def ours(config: str, full: bool) -> dict[str, Any]:
    from service.config.loader import load_config
    from service.ingest import sync_all
    from service.store.session import make_engine, make_sessionmaker

    loaded = load_config(config)
    factory = make_sessionmaker(make_engine(loaded.database_url()))
    started = time.perf_counter()
    results = sync_all(factory, loaded, full=full)
    wall = time.perf_counter() - started
    return {"wall_s": wall, "sources": [r.as_json() for r in results]}


def naive(config: str) -> dict[str, Any]:
    """What a simple script does with the same clients: one call after another, every item fetched."""
    from azure.devops.connection import Connection
    from azure.devops.v7_1.work_item_tracking.models import TeamContext, Wiql
    from jira import JIRA
    from msrest.authentication import BasicAuthentication

    from service.config.loader import load_config

    loaded = load_config(config)
    config_ = loaded.config
    started = time.perf_counter()
    counted = 0
    for source in config_.sources:
        projects = sorted({t.scope.project for t in config_.teams if t.source == source.name})
        token = loaded.secret(source.auth.token_env)
        if source.kind == "jira":
            auth: dict[str, Any] = (
                {"token_auth": token}
                if source.auth.scheme == "bearer"
                else {"basic_auth": (loaded.secret(source.auth.user_env), token)}
            )
            client = JIRA(server=source.url, max_retries=0, timeout=60, **auth)
            quoted = ", ".join(f'"{p}"' for p in projects)
            issues = client.search_issues(f"project in ({quoted}) ORDER BY key ASC", maxResults=False)
            counted += len(issues)
        else:
            connection = Connection(base_url=source.url, creds=BasicAuthentication("", token or ""))
            wit = connection.clients_v7_1.get_work_item_tracking_client()
            for project in projects:
                query = Wiql(
                    query=f"SELECT [System.Id] FROM WorkItems WHERE [System.TeamProject] = '{project}'"
                )
                refs = wit.query_by_wiql(query, team_context=TeamContext(project=project)).work_items
                for ref in refs:
                    wit.get_work_item(ref.id, project=project, expand="Relations")
                    counted += 1
    return {"wall_s": time.perf_counter() - started, "items": counted}


def main(argv: list[str]) -> None:
    mode, config = argv[0], argv[1]
    result = ours(config, "--full" in argv) if mode == "ours" else naive(config)
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1:])
