"""Safeguarding alerts: a worker sees their children's, admins see all; unacknowledged on top.
Reading one shows the child's words and is audited; acknowledging stops escalation; clearing
lets routine messages to the child go again."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from api.access import Caller, StaffDep
from api.deps import SessionDep
from api.schemas import Body, Id, Limit, Offset, OptionalId, problems
from core import safeguarding
from core.audit import record
from core.models import Alert, AlertStep, YoungPerson
from core.safeguarding_review import Label, label_alert

router = APIRouter(prefix="/alerts", tags=["alerts"])

NOT_FOUND = "No such alert"
Source = Literal["typed", "edited", "caption", "voice_caption", "command", "answer", "review"]
State = Literal["all", "unacknowledged", "uncleared", "cleared"]

SUMMARY_EXAMPLE = {
    "id": 12,
    "young_person_id": 7,
    "categories": ["self_harm"],
    "about_someone_else": False,
    "source": "typed",
    "raised_at": "2026-12-01T21:04:00Z",
    "acknowledged_at": None,
    "acknowledged_by": None,
    "cleared_at": None,
    "cleared_by": None,
    "escalations": 1,
}


class AlertSummary(BaseModel):
    """An alert without the child's words (read one alert to see them)."""

    model_config = ConfigDict(json_schema_extra={"examples": [SUMMARY_EXAMPLE]})

    id: int
    young_person_id: int
    categories: list[str]
    about_someone_else: bool
    source: Source
    raised_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: int | None
    cleared_at: datetime | None
    cleared_by: int | None
    escalations: int = Field(ge=0, description="Escalations to the duty team sent so far")
    layer: str | None = Field(
        default=None, description="What raised it: lexicon, semantic, lexicon+semantic, ..."
    )
    score: float | None = Field(default=None, description="The screener's probability")
    label: Label | None = Field(default=None, description="Staff's judgement, if given")


class StepOut(BaseModel):
    round: int = Field(ge=0, description="0: the first notice; then one per escalation")
    kind: Literal["notify", "escalate"]
    channel: Literal["email", "webhook"]
    target: str = Field(description="The email address, or the webhook's host")
    status: Literal["sent", "failed"]
    error: str | None
    at: datetime


class AlertOut(AlertSummary):
    """One alert with the child's words and every step taken to tell a person."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    **SUMMARY_EXAMPLE,
                    "message": "(the child's words)",
                    "matched": ["en_hurt_myself"],
                    "steps": [
                        {
                            "round": 0,
                            "kind": "notify",
                            "channel": "email",
                            "target": "sam@council.example",
                            "status": "sent",
                            "error": None,
                            "at": "2026-12-01T21:04:05Z",
                        }
                    ],
                }
            ]
        }
    )

    message: str | None = Field(description="The child's words, or the answer they gave")
    matched: list[str] = Field(description="Lexicon entries that matched")
    steps: list[StepOut]


class Clearing(Body):
    note: str | None = Field(
        default=None,
        max_length=2000,
        description="What was done (kept in the audit log)",
        examples=["Spoke to S.K. and their carer; safety plan agreed."],
    )


def _escalations(alert: Alert) -> int:
    return max(alert.round - 1, 0)


def summary(alert: Alert) -> AlertSummary:
    assert alert.id is not None
    return AlertSummary(
        id=alert.id,
        young_person_id=alert.young_person_id,
        categories=alert.categories,
        about_someone_else=alert.about_someone_else,
        source=alert.source,  # type: ignore[arg-type]
        raised_at=alert.raised_at,
        acknowledged_at=alert.acknowledged_at,
        acknowledged_by=alert.acknowledged_by,
        cleared_at=alert.cleared_at,
        cleared_by=alert.cleared_by,
        escalations=_escalations(alert),
        layer=alert.layer,
        score=alert.score,
        label=alert.label,  # type: ignore[arg-type]
    )


async def full(session: AsyncSession, alert: Alert) -> AlertOut:
    steps = await session.exec(
        select(AlertStep).where(AlertStep.alert_id == alert.id).order_by(col(AlertStep.id))
    )
    return AlertOut(
        **summary(alert).model_dump(),
        message=safeguarding.words_of(alert),
        matched=alert.matched,
        steps=[StepOut.model_validate(s, from_attributes=True) for s in steps.all()],
    )


async def visible_alert(session: AsyncSession, caller: Caller, alert_id: int) -> Alert:
    """The alert, if its child is this caller's to see; anyone else's answers 404."""
    query = select(Alert).where(Alert.id == alert_id)
    if not caller.is_admin:
        query = query.join(YoungPerson, col(YoungPerson.id) == col(Alert.young_person_id)).where(
            YoungPerson.worker_id == caller.id
        )
    alert = (await session.exec(query)).first()
    if alert is None:
        raise HTTPException(404, NOT_FOUND)
    return alert


@router.get("", responses=problems(401))
async def list_alerts(
    caller: StaffDep,
    session: SessionDep,
    state: Annotated[State, Query(description="Which alerts to list")] = "all",
    child_id: OptionalId = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> list[AlertSummary]:
    """Alerts about your children (admins: everyone's): unacknowledged first, then newest."""
    query = select(Alert)
    if not caller.is_admin:
        query = query.join(YoungPerson, col(YoungPerson.id) == col(Alert.young_person_id)).where(
            YoungPerson.worker_id == caller.id
        )
    if child_id is not None:
        query = query.where(Alert.young_person_id == child_id)
    if state == "unacknowledged":
        query = query.where(col(Alert.acknowledged_at).is_(None))
    elif state == "uncleared":
        query = query.where(col(Alert.cleared_at).is_(None))
    elif state == "cleared":
        query = query.where(col(Alert.cleared_at).is_not(None))
    query = query.order_by(
        col(Alert.acknowledged_at).is_not(None), col(Alert.raised_at).desc(), col(Alert.id).desc()
    )
    alerts = (await session.exec(query.offset(offset).limit(limit))).all()
    record(
        session,
        staff_id=caller.id,
        action="alert.list",
        young_person_id=child_id,
        detail={"state": state, "count": len(alerts)},
    )
    await session.commit()
    return [summary(a) for a in alerts]


@router.get("/{alert_id}", responses=problems(401, 404))
async def get_alert(alert_id: Id, caller: StaffDep, session: SessionDep) -> AlertOut:
    """One alert with the child's words and the notices sent. Every read is in the audit log."""
    alert = await visible_alert(session, caller, alert_id)
    record(
        session,
        staff_id=caller.id,
        action="alert.read",
        young_person_id=alert.young_person_id,
        subject=f"alert:{alert_id}",
    )
    await session.commit()
    return await full(session, alert)


@router.post("/{alert_id}/acknowledge", responses=problems(401, 404, 409))
async def acknowledge(alert_id: Id, caller: StaffDep, session: SessionDep) -> AlertOut:
    """You have picked it up: escalation to the duty team stops."""
    alert = await visible_alert(session, caller, alert_id)
    if not safeguarding.acknowledge(session, alert, staff_id=caller.id):
        raise HTTPException(
            409, f"Already acknowledged at {alert.acknowledged_at:%Y-%m-%d %H:%M} UTC"
        )
    await session.commit()
    return await full(session, alert)


@router.post("/{alert_id}/clear", responses=problems(401, 404, 409))
async def clear(
    alert_id: Id, caller: StaffDep, session: SessionDep, body: Clearing | None = None
) -> AlertOut:
    """It has been dealt with: routine messages to the child go again (once none of their
    alerts is open). Clearing acknowledges too."""
    alert = await visible_alert(session, caller, alert_id)
    note = body.note if body is not None else None
    if not safeguarding.clear(session, alert, staff_id=caller.id, note=note):
        raise HTTPException(409, f"Already cleared at {alert.cleared_at:%Y-%m-%d %H:%M} UTC")
    await session.commit()
    return await full(session, alert)


class Labelling(Body):
    label: Label = Field(description="real: it needed a person; not_a_concern: a false alarm")


@router.post("/{alert_id}/label", responses=problems(401, 404))
async def label(alert_id: Id, body: Labelling, caller: StaffDep, session: SessionDep) -> AlertOut:
    """Say whether it was a real concern. Kept, audited and exported (GET
    /safeguarding/labelled) to grow the exemplars; nothing retrains by itself."""
    alert = await visible_alert(session, caller, alert_id)
    label_alert(session, alert, body.label, staff_id=caller.id)
    await session.commit()
    return await full(session, alert)
