"""Staff judge what screening raised: "a real concern" or "not a concern". The label is kept,
audited and exported for whoever grows the exemplar files; nothing retrains by itself.

A concern (the check tier) marked real becomes an alert at once, acknowledged by the person who
marked it: nobody is paged (they are on it), routine messages to the child wait, and it stays
in the open alerts until someone clears it with what was done.
"""

from __future__ import annotations

from typing import Any, Literal

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core import concerns, safeguarding
from core.audit import record
from core.models import Alert, Concern, YoungPerson, utcnow

Label = Literal["real", "not_a_concern"]


def label_alert(session: AsyncSession, alert: Alert, label: Label, *, staff_id: int) -> None:
    alert.label, alert.labelled_by, alert.labelled_at = label, staff_id, utcnow()
    record(
        session,
        staff_id=staff_id,
        action="alert.label",
        young_person_id=alert.young_person_id,
        subject=f"alert:{alert.id}",
        detail={"label": label},
    )


async def review_concern(
    session: AsyncSession, concern: Concern, label: Label, *, staff_id: int, note: str | None
) -> Alert | None:
    """Label a concern; a real one raises an alert (acknowledged by this reviewer)."""
    concern.label, concern.reviewed_by, concern.reviewed_at = label, staff_id, utcnow()
    record(
        session,
        staff_id=staff_id,
        action="concern.review",
        young_person_id=concern.young_person_id,
        subject=f"concern:{concern.id}",
        detail={"label": label},
        reason=note,
    )
    if label != "real" or concern.alert_id is not None:
        return None
    child = await session.get(YoungPerson, concern.young_person_id)
    assert child is not None
    alert = safeguarding.raise_alert(
        session,
        child=child,
        categories=concern.categories,
        source="review",
        words=concerns.words_of(concern),
        about_someone_else=concern.about_someone_else,
        matched=concern.matched,
        layer=concern.layer,
        score=concern.score,
    )
    await session.flush()
    label_alert(session, alert, "real", staff_id=staff_id)
    safeguarding.acknowledge(session, alert, staff_id=staff_id)
    concern.alert_id = alert.id
    return alert


async def labelled(session: AsyncSession) -> list[dict[str, Any]]:
    """Every labelled alert and concern, with the words, language and what raised it: the
    material a safeguarding lead reviews before adding exemplars."""
    rows: list[dict[str, Any]] = []
    alerts = await session.exec(
        select(Alert, YoungPerson.locale)
        .join(YoungPerson, col(YoungPerson.id) == col(Alert.young_person_id))
        .where(col(Alert.label).is_not(None))
        .order_by(col(Alert.id))
    )
    for alert, locale in alerts.all():
        rows.append(
            _row("alert", alert.id, alert.label, safeguarding.words_of(alert), locale, alert)
        )
    found = await session.exec(
        select(Concern).where(col(Concern.label).is_not(None)).order_by(col(Concern.id))
    )
    for concern in found.all():
        words = concerns.words_of(concern)
        rows.append(_row("concern", concern.id, concern.label, words, concern.locale, concern))
    return rows


def _row(
    kind: str,
    id_: int | None,
    label: str | None,
    words: str | None,
    locale: str | None,
    raised: Any,
) -> dict[str, Any]:
    return {
        "kind": kind,
        "id": id_,
        "label": label,
        "categories": raised.categories,
        "layer": raised.layer,
        "score": raised.score,
        "source": raised.source,
        "language": locale,
        "words": words,
    }
