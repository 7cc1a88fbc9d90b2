"""Exports of answers or counts, as CSV, XLSX or JSON Lines. Admins export in bulk; a worker
exports one child of theirs. Every export and download is audited with the reason given."""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse, Response, StreamingResponse
from pydantic import BaseModel, Field, field_validator
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from api.access import Caller, StaffDep
from api.deps import RuntimeDep, SessionDep
from api.routes.answers import Filters, scoped
from api.runtime import Runtime
from api.schemas import Id, Limit, Offset, problems
from core import counts, export_access
from core.answer_queries import count_answers
from core.audit import record
from core.disclosure import Refused
from core.exports import (
    INLINE_MAX_ROWS,
    MEDIA_TYPES,
    ExportSpec,
    Jobs,
    new_job,
    stream_export,
)
from core.models import ExportJob, utcnow

router = APIRouter(prefix="/exports", tags=["exports"])

NOT_FOUND = "No such export"
_PRINTABLE = r"[^\x00-\x08\x0b-\x1f\x7f]"
REASON_PATTERN = rf"^{_PRINTABLE}*[^\s\x00-\x1f\x7f]{_PRINTABLE}*$"
# Tasks running exports started by a request; kept so they are not collected mid-run.
_running: set[asyncio.Task[None]] = set()


def export_jobs(runtime: Runtime) -> Jobs:
    return Jobs(
        engine=runtime.engine,
        sessionmaker=runtime.sessionmaker,
        library=runtime.services.library,
        export_dir=runtime.settings.export_dir,
        min_group=max(1, runtime.settings.min_group_size),
        keep_hours=runtime.settings.export_hours,
    )


class ExportIn(Filters):
    kind: Literal["answers", "aggregates"] = Field(
        default="answers",
        description="answers: one row per answer; aggregates: counts per outcome statement",
    )
    format: Literal["csv", "xlsx", "jsonl"] = "csv"
    include_text: bool | None = Field(
        default=None,
        description="Add the child's own words. Default: yes for one child (`child_id`), "
        "no for more. Aggregates never hold words.",
    )
    background: bool = Field(
        default=False,
        description="Always make a file to download later. Big exports and XLSX always do.",
    )
    reason: str = Field(
        min_length=3,
        max_length=500,
        # Words, not blanks, and no control characters (a tab or a new line is fine).
        pattern=REASON_PATTERN,
        description="Why this export is needed; kept in the audit log",
        examples=["Quarterly report to the corporate parenting board"],
    )

    @field_validator("reason")
    @classmethod
    def _trimmed(cls, value: str) -> str:
        return value.strip()


class ExportJobOut(BaseModel):
    id: int
    kind: str
    format: str
    status: str = Field(
        description="queued / running / done / failed / expired (its file was deleted after "
        "SAYSO_EXPORT_HOURS) / withdrawn (a child in it had their data erased)"
    )
    rows_done: int
    rows_total: int | None
    include_text: bool
    filters: dict[str, Any]
    created_at: datetime
    finished_at: datetime | None
    expires_at: datetime | None = Field(
        description="When the file stops being downloadable and is deleted"
    )
    error: str | None
    download: str | None = Field(
        description="Where to get the file, once done and while you may still read it",
        examples=["/exports/7/file"],
    )
    refused: str | None = Field(
        default=None,
        description="Why the file is done but no longer yours to read (a child moved to "
        "another worker, or you are no longer an admin)",
    )


async def _readable_out(
    session: AsyncSession, caller: Caller, job: ExportJob, hours: float
) -> ExportJobOut:
    """As the download would answer now: no link to a file the caller may no longer read."""
    shown = _job_out(job, hours)
    if shown.download is not None:
        shown.refused = await export_access.refusal(
            session, job, staff_id=caller.id, is_admin=caller.is_admin
        )
        if shown.refused is not None:
            shown.download = None
    return shown


def _job_out(job: ExportJob, hours: float) -> ExportJobOut:
    assert job.id is not None
    filters = {k: v for k, v in job.filters.items() if k != "visible_to"}
    status = export_access.status_now(job, hours=hours, now=utcnow())
    return ExportJobOut(
        id=job.id,
        kind=job.kind,
        format=job.format,
        status=status,
        rows_done=job.rows_done,
        rows_total=job.rows_total,
        include_text=job.include_text,
        filters=filters,
        created_at=job.created_at,
        finished_at=job.finished_at,
        expires_at=export_access.expires_at(job, hours),
        error=job.error,
        download=f"/exports/{job.id}/file" if status == "done" else None,
    )


def _file_name(spec: ExportSpec) -> str:
    child = spec.filter.child_id
    who = f"child-{child}" if child is not None else "all"
    return f"sayso-{spec.kind}-{who}-{utcnow():%Y%m%d-%H%M}.{spec.format}"


STREAMED = {
    200: {
        "description": "A small CSV or JSON Lines export, streamed as it is read",
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            "application/x-ndjson": {"schema": {"type": "string"}},
        },
    }
}


@router.post(
    "",
    status_code=202,
    responses={**STREAMED, **problems(401, 403, 404, 409)},
)
async def create_export(
    body: ExportIn, caller: StaffDep, session: SessionDep, runtime: RuntimeDep
) -> ExportJobOut:
    """Export answers (or counts per outcome statement). Up to 10,000 rows of CSV or JSON
    Lines come straight back (200); more, XLSX, or `background: true` make a job (202) to
    follow at `GET /exports/{id}` and download at `GET /exports/{id}/file`.

    Only admins export more than one child; a worker gives `child_id` of a child of theirs.
    Aggregate counts keep to the rules of `GET /answers/aggregates` (whole months, and enough
    children, else 409); a hidden count is `[c]` in CSV and XLSX, and null with
    `suppressed: true` in JSON Lines."""
    if body.child_id is None and not caller.is_admin:
        raise HTTPException(
            403, "Only an admin can export more than one child; give the child_id of yours"
        )
    filters = await scoped(
        Filters(**body.model_dump(include=set(Filters.model_fields))), caller, session
    )
    include_text = body.kind == "answers" and (
        body.include_text if body.include_text is not None else body.child_id is not None
    )
    spec = ExportSpec(
        kind=body.kind,
        format=body.format,
        filter=filters,
        include_text=include_text,
        min_group=max(1, runtime.settings.min_group_size),
    )
    if spec.kind == "aggregates":  # refused now, not half-way through a file
        try:
            await counts.check(session, filters, min_group=spec.min_group)
        except Refused as error:
            raise HTTPException(409, str(error)) from None
    rows = await count_answers(session, filters) if spec.kind == "answers" else None
    detail = {
        "kind": spec.kind,
        "format": spec.format,
        "filters": filters.public(),
        "include_text": include_text,
        "rows": rows,
    }
    inline = spec.format != "xlsx" and not body.background and (rows or 0) <= INLINE_MAX_ROWS
    if inline:
        record(
            session,
            staff_id=caller.id,
            action="export.create",
            young_person_id=body.child_id,
            reason=body.reason,
            detail=detail,
        )
        await session.commit()
        return StreamingResponse(  # type: ignore[return-value]
            stream_export(runtime.engine, runtime.services.library, spec),
            media_type=MEDIA_TYPES[spec.format],
            headers={"Content-Disposition": f'attachment; filename="{_file_name(spec)}"'},
        )
    job = new_job(staff_id=caller.id, spec=spec, reason=body.reason, rows_total=rows)
    session.add(job)
    await session.flush()
    record(
        session,
        staff_id=caller.id,
        action="export.create",
        young_person_id=body.child_id,
        subject=f"export:{job.id}",
        reason=body.reason,
        detail=detail,
    )
    await session.commit()
    assert job.id is not None
    # Started at once here; the clock (api/jobs.py) picks up any job a restart left behind.
    task = asyncio.create_task(export_jobs(runtime).run(job.id))
    _running.add(task)
    task.add_done_callback(_running.discard)
    return _job_out(job, runtime.settings.export_hours)


async def _own_job(session: SessionDep, caller: Caller, export_id: int) -> ExportJob:
    """Only whoever made it, or an admin, may see an export; to anyone else it does not exist."""
    job = await session.get(ExportJob, export_id)
    if job is None or not (caller.is_admin or job.staff_id == caller.id):
        raise HTTPException(404, NOT_FOUND)
    return job


@router.get("", responses=problems(401))
async def list_exports(
    caller: StaffDep,
    session: SessionDep,
    runtime: RuntimeDep,
    limit: Limit = 50,
    offset: Offset = 0,
) -> list[ExportJobOut]:
    """Newest first: your own exports (admins: everyone's)."""
    query = select(ExportJob).order_by(col(ExportJob.id).desc())
    if not caller.is_admin:
        query = query.where(ExportJob.staff_id == caller.id)
    result = await session.exec(query.offset(offset).limit(limit))
    hours = runtime.settings.export_hours
    return [await _readable_out(session, caller, job, hours) for job in result.all()]


@router.get("/{export_id}", responses=problems(401, 404))
async def get_export(
    export_id: Id, caller: StaffDep, session: SessionDep, runtime: RuntimeDep
) -> ExportJobOut:
    """How far a background export has got (`rows_done` of `rows_total`)."""
    job = await _own_job(session, caller, export_id)
    return await _readable_out(session, caller, job, runtime.settings.export_hours)


DOWNLOAD = {
    200: {
        "description": "The export file",
        "content": {
            media.split(";")[0]: {"schema": {"type": "string", "format": "binary"}}
            for media in MEDIA_TYPES.values()
        },
    }
}


@router.get(
    "/{export_id}/file",
    response_class=Response,
    responses={**DOWNLOAD, **problems(401, 403, 404, 409, 410)},
)
async def download_export(
    export_id: Id, caller: StaffDep, session: SessionDep, runtime: RuntimeDep
) -> Response:
    """The finished file, for whoever made the export or an admin, checked again now: a worker
    downloads only while every child in it is still theirs (403), a bulk export only an admin
    (403). Withdrawn after an erasure, or past `SAYSO_EXPORT_HOURS`, the file is gone (410).
    Every download is audited."""
    job = await _own_job(session, caller, export_id)
    gone = export_access.gone(job, hours=runtime.settings.export_hours, now=utcnow())
    if gone is not None:
        raise HTTPException(410, gone)
    if job.status != "done" or job.path is None:
        raise HTTPException(409, f"This export is not ready: {job.status}")
    refused = await export_access.refusal(
        session, job, staff_id=caller.id, is_admin=caller.is_admin
    )
    if refused is not None:
        raise HTTPException(403, refused)
    path = Path(job.path)
    if not await asyncio.to_thread(path.is_file):
        raise HTTPException(410, "This export's file is gone; make a new export")
    record(
        session,
        staff_id=caller.id,
        action="export.download",
        young_person_id=job.filters.get("child_id"),
        subject=f"export:{job.id}",
    )
    await session.commit()
    kind = "answers" if job.kind == "answers" else "aggregates"
    return FileResponse(
        path,
        media_type=MEDIA_TYPES[job.format],
        filename=f"sayso-{kind}-{job.id}.{job.format}",
    )
