"""Items and their links, teams, sync runs, and triggering a sync."""

from __future__ import annotations

import threading
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from service.access.roles import Principal
from service.actions import Acting, record_alone
from service.api.deps import Authenticated, RuntimeDep, SessionDep, client_address, requires
from service.api.problems import PROBLEM_RESPONSES
from service.jobs import run_job
from service.store import findings, items, runs, teams
from service.store.findings import FindingFilter
from service.store.models import Team, WorkItem

router = APIRouter(
    prefix="/api", tags=["items, teams, syncs"], dependencies=[Authenticated], responses=PROBLEM_RESPONSES
)


def _item(row: WorkItem, source: str, team_rows: dict[int, Team]) -> dict[str, Any]:
    return {
        "source": source,
        "key": row.key,
        "url": row.url,
        "title": row.title,
        "type": row.item_type,
        "raw_type": row.raw_type,
        "state": row.raw_state,
        "state_category": row.state_category,
        "resolution": row.resolution,
        "priority": row.priority,
        "raw_priority": row.raw_priority,
        "team": team_rows[row.team_id].name if row.team_id in team_rows else None,
        "parent": row.parent_key,
        "labels": row.labels,
        "story_points": row.story_points,
        "deleted": row.deleted,
        "updated": row.tracker_updated_at.isoformat() if row.tracker_updated_at else None,
    }


@router.get("/items", summary="Items, filtered and paginated")
def list_items(
    session: SessionDep,
    source: Annotated[str | None, Query()] = None,
    team: Annotated[str | None, Query()] = None,
    q: Annotated[str | None, Query(max_length=200, description="text in the key or title")] = None,
    include_deleted: bool = False,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0,
) -> dict[str, Any]:
    team_rows = teams.by_id(session)
    sources = runs.source_names(session)
    rows, total = items.page(
        session,
        source=source,
        team=team,
        text=q,
        include_deleted=include_deleted,
        limit=limit,
        offset=offset,
    )
    return {
        "items": [_item(row, sources[row.source_id], team_rows) for row in rows],
        "total": total,
        "limit": limit,
        "offset": offset,
    }


@router.get("/items/{source}/{key}", summary="One item with its links and open findings")
def get_item(source: str, key: str, session: SessionDep) -> dict[str, Any]:
    row = items.by_source_key(session, source, key)
    if row is None:
        raise HTTPException(404, f"no item {key} in source {source}")
    ref = f"{source}:{key}"
    links = [
        {
            "direction": "out" if link.origin_is_from else "in",
            "kind": link.kind,
            "raw_type": link.raw_type,
            "other": link.other_ref,
            "url": link.other_url,
            "reported_by": ref,
        }
        for link in items.links_reported_by(session, row.id)
    ]
    links += [
        {
            "direction": "in" if pointing.link.origin_is_from else "out",
            "kind": pointing.link.kind,
            "raw_type": pointing.link.raw_type,
            "other": f"{pointing.origin_source}:{pointing.origin_key}",
            "url": None,
            "reported_by": f"{pointing.origin_source}:{pointing.origin_key}",
        }
        for pointing in items.links_pointing_at(session, ref)
    ]
    about = findings.matching(session, FindingFilter(statuses=("open",), subject=ref))
    return {
        **_item(row, source, teams.by_id(session)),
        "links": links,
        "findings": [finding.fingerprint for finding in about],
    }


@router.get("/teams", summary="Teams, their Product Owners and what they own")
def list_teams(session: SessionDep) -> dict[str, Any]:
    sources = runs.source_names(session)
    counts = items.live_counts_by_team(session)
    open_findings = findings.matching(session, FindingFilter(statuses=("open",)))
    result = []
    for team in sorted(teams.by_id(session).values(), key=lambda team: team.name):
        result.append(
            {
                "name": team.name,
                "product_owner": team.product_owner,
                "source": sources.get(team.source_id),
                "project": team.scope_project,
                "area_path": team.scope_area_path,
                "items": counts.get(team.id, 0),
                "open_findings": sum(1 for f in open_findings if team.name in f.teams),
            }
        )
    return {"teams": result}


@router.get("/syncs", summary="Recent sync runs and each source's freshness")
def list_syncs(session: SessionDep, limit: Annotated[int, Query(ge=1, le=500)] = 50) -> dict[str, Any]:
    sources = runs.sources(session)
    names = {s.id: s.name for s in sources}
    return {
        "sources": [
            {
                "name": s.name,
                "kind": s.kind,
                "stale": s.stale,
                "last_error": s.last_error,
                "last_success_at": s.last_success_at.isoformat() if s.last_success_at else None,
            }
            for s in sources
        ],
        "runs": [
            {
                "source": names.get(r.source_id),
                "mode": r.mode,
                "status": r.status,
                "started_at": r.started_at.isoformat(),
                "finished_at": r.finished_at.isoformat() if r.finished_at else None,
                "new": r.items_new,
                "changed": r.items_changed,
                "deleted": r.items_deleted,
                "requests": r.requests,
                "retries": r.retries,
                "error": r.error,
            }
            for r in runs.recent_sync_runs(session, limit)
        ],
    }


class SyncRequest(BaseModel):
    full: bool = False


@router.post("/syncs", status_code=202, summary="Start a sync now (in the background; role admin)")
def trigger_sync(
    runtime: RuntimeDep,
    request: Request,
    principal: Annotated[Principal, requires("admin")],
    body: SyncRequest | None = None,
) -> JSONResponse:
    job = "full-sync" if body is not None and body.full else "sync"
    record_alone(runtime.factory, Acting(principal, client_address(request)), "sync.start", job, {})
    threading.Thread(
        target=run_job, args=(runtime, job), kwargs={"force": True}, daemon=True, name=f"poalign-{job}"
    ).start()
    return JSONResponse({"started": job}, status_code=202)
