"""Items and their links, teams, sync runs, and triggering a sync."""

from __future__ import annotations

import threading
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import func, select

from service.api.deps import Authenticated, RuntimeDep, SessionDep
from service.jobs import run_job
from service.store.models import Finding, Link, Source, SyncRun, Team, WorkItem

router = APIRouter(prefix="/api", tags=["items, teams, syncs"], dependencies=[Authenticated])


def _item(row: WorkItem, source: str, teams: dict[int, str]) -> dict[str, Any]:
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
        "team": teams.get(row.team_id) if row.team_id else None,
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
    teams = {row.id: row.name for row in session.scalars(select(Team))}
    sources = {row.id: row.name for row in session.scalars(select(Source))}
    query = select(WorkItem)
    if source:
        query = query.join(Source, Source.id == WorkItem.source_id).where(Source.name == source)
    if team:
        query = query.join(Team, Team.id == WorkItem.team_id).where(Team.name == team)
    if q:
        pattern = f"%{q.lower()}%"
        query = query.where(func.lower(WorkItem.key).like(pattern) | func.lower(WorkItem.title).like(pattern))
    if not include_deleted:
        query = query.where(WorkItem.deleted.is_(False))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(WorkItem.source_id, WorkItem.key).limit(limit).offset(offset))
    return {
        "items": [_item(row, sources[row.source_id], teams) for row in rows],
        "total": total,
        "limit": limit,
        "offset": offset,
    }


@router.get("/items/{source}/{key}", summary="One item with its links and open findings")
def get_item(source: str, key: str, session: SessionDep) -> dict[str, Any]:
    row = session.scalar(
        select(WorkItem)
        .join(Source, Source.id == WorkItem.source_id)
        .where(Source.name == source, WorkItem.key == key)
    )
    if row is None:
        raise HTTPException(404, f"no item {key} in source {source}")
    teams = {team.id: team.name for team in session.scalars(select(Team))}
    ref = f"{source}:{key}"
    reported = session.scalars(select(Link).where(Link.origin_item_id == row.id)).all()
    pointing = session.execute(
        select(Link, WorkItem.key, Source.name)
        .join(WorkItem, WorkItem.id == Link.origin_item_id)
        .join(Source, Source.id == WorkItem.source_id)
        .where(Link.other_ref == ref)
    ).all()
    links = [
        {
            "direction": "out" if link.origin_is_from else "in",
            "kind": link.kind,
            "raw_type": link.raw_type,
            "other": link.other_ref,
            "url": link.other_url,
            "reported_by": ref,
        }
        for link in reported
    ]
    links += [
        {
            "direction": "in" if link.origin_is_from else "out",
            "kind": link.kind,
            "raw_type": link.raw_type,
            "other": f"{other_source}:{other_key}",
            "url": None,
            "reported_by": f"{other_source}:{other_key}",
        }
        for link, other_key, other_source in pointing
    ]
    findings = [
        f.fingerprint
        for f in session.scalars(select(Finding).where(Finding.status == "open"))
        if ref in f.subjects
    ]
    return {**_item(row, source, teams), "links": links, "findings": findings}


@router.get("/teams", summary="Teams, their Product Owners and what they own")
def list_teams(session: SessionDep) -> dict[str, Any]:
    sources = {row.id: row.name for row in session.scalars(select(Source))}
    counts = dict(
        session.execute(
            select(WorkItem.team_id, func.count())
            .where(WorkItem.deleted.is_(False))
            .group_by(WorkItem.team_id)
        ).all()
    )  # type: ignore[arg-type]
    open_findings = session.scalars(select(Finding).where(Finding.status == "open")).all()
    result = []
    for team in session.scalars(select(Team).order_by(Team.name)):
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
    sources = session.scalars(select(Source).order_by(Source.name)).all()
    names = {s.id: s.name for s in sources}
    runs = session.scalars(select(SyncRun).order_by(SyncRun.id.desc()).limit(limit))
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
            for r in runs
        ],
    }


class SyncRequest(BaseModel):
    full: bool = False


@router.post("/syncs", status_code=202, summary="Start a sync now (in the background)")
def trigger_sync(runtime: RuntimeDep, body: SyncRequest | None = None) -> JSONResponse:
    job = "full-sync" if body is not None and body.full else "sync"
    threading.Thread(
        target=run_job, args=(runtime, job), kwargs={"force": True}, daemon=True, name=f"poalign-{job}"
    ).start()
    return JSONResponse({"started": job}, status_code=202)
