"""Safeguarding alerts: a child's words that need a person, and every step taken to reach one."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Text
from sqlmodel import Field, SQLModel

from core.crypto import Sealed
from core.models.base import UTCDateTime, ids_never_reused, when


class Alert(SQLModel, table=True):
    """Committed on its own before the rest of the turn that raised it, so it goes out even when
    that turn fails (core.safeguarding.write_alert_first); kept under a safeguarding hold."""

    __tablename__ = "alert"
    __table_args__ = ids_never_reused()

    id: int | None = Field(default=None, primary_key=True)
    young_person_id: int = Field(foreign_key="young_person.id", index=True)
    # e.g. ["self_harm"], ["screening_error"], ["unsafe_answer"]
    categories: list[str] = Field(default_factory=list, sa_type=JSON)
    about_someone_else: bool = False
    # typed / edited / caption / voice_caption / answer
    source: str = Field(max_length=16)
    # The child's words (or the answer given). Read and written only through
    # core.safeguarding.words_of / set_words, so encryption at rest goes in one place.
    message: str | None = Field(default=None, sa_type=Sealed)
    # Lexicon entry ids that matched, for the safeguarding lead reviewing the lexicon.
    matched: list[str] = Field(default_factory=list, sa_type=JSON)
    # Which layer raised it (lexicon, semantic, lexicon+semantic, error...) and its score.
    layer: str | None = Field(default=None, max_length=40)
    score: float | None = None
    # Staff's judgement, to grow the exemplars: real / not_a_concern (core.safeguarding_review).
    label: str | None = Field(default=None, max_length=16)
    labelled_by: int | None = Field(default=None, foreign_key="staff.id")
    labelled_at: datetime | None = when(nullable=True)
    answer_id: int | None = Field(default=None, foreign_key="answer.id")
    raised_at: datetime = when(index=True)
    acknowledged_at: datetime | None = when(nullable=True)
    acknowledged_by: int | None = Field(default=None, foreign_key="staff.id")
    cleared_at: datetime | None = when(nullable=True, index=True)
    cleared_by: int | None = Field(default=None, foreign_key="staff.id")
    # Notification rounds: 0 is the first notice, then one escalation per interval.
    round: int = 0
    # When the escalation job looks at this alert next; None once acknowledged or cleared.
    next_step_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    # The turn that raised it ("telegram:<update id>/typed", "web:<turn id>/answer:q3"): the
    # alert is committed before the rest of its turn, and a retry of that turn finds it here
    # instead of raising a second one (core.safeguarding.write_alert_first). None: raised
    # where no retry can come (the staff preview, older rows).
    origin: str | None = Field(default=None, max_length=120, unique=True, index=True)


class AlertStep(SQLModel, table=True):
    """One try to tell a person about an alert, by one channel (email to one address, webhook)."""

    __tablename__ = "alert_step"
    __table_args__ = ids_never_reused()

    id: int | None = Field(default=None, primary_key=True)
    alert_id: int = Field(foreign_key="alert.id", index=True)
    round: int
    # notify / escalate
    kind: str = Field(max_length=12)
    # email / webhook
    channel: str = Field(max_length=12)
    # An email address, or the webhook's host (never its path or secret).
    target: str = Field(max_length=254)
    # sent / failed
    status: str = Field(max_length=8)
    error: str | None = Field(default=None, sa_type=Text)
    at: datetime = when()


class Concern(SQLModel, table=True):
    """The check tier: words that might be something. The child was asked gently and given
    Childline's number; staff review these in a list of their own. Nobody is paged."""

    __tablename__ = "concern"
    __table_args__ = ids_never_reused()

    id: int | None = Field(default=None, primary_key=True)
    young_person_id: int = Field(foreign_key="young_person.id", index=True)
    categories: list[str] = Field(default_factory=list, sa_type=JSON)
    about_someone_else: bool = False
    source: str = Field(max_length=16)
    layer: str = Field(max_length=40)
    score: float
    # The child's words, through core.safeguarding.words_of / set_words like an alert's.
    message: str | None = Field(default=None, sa_type=Sealed)
    matched: list[str] = Field(default_factory=list, sa_type=JSON)
    locale: str | None = Field(default=None, max_length=12)
    raised_at: datetime = when(index=True)
    # What the child chose: more (told more), call (asked for a call), carry_on.
    child_choice: str | None = Field(default=None, max_length=12)
    # The child asked to tell more: their next words answer this concern.
    listening: bool = False
    # An alert the child's later words raised, read together with these.
    alert_id: int | None = Field(default=None, foreign_key="alert.id")
    reviewed_at: datetime | None = when(nullable=True, index=True)
    reviewed_by: int | None = Field(default=None, foreign_key="staff.id")
    label: str | None = Field(default=None, max_length=16)
