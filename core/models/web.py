"""The web chat's sign-in: a random cookie per phone, of which only a hash is kept."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from core.models.base import UTCDateTime, when


class WebSession(SQLModel, table=True):
    """One browser where a child opened their web-chat link. Only the SHA-256 of the cookie is
    stored, so a database dump opens no one's chat."""

    __tablename__ = "web_session"

    token_hash: str = Field(max_length=64, primary_key=True)
    young_person_id: int = Field(foreign_key="young_person.id", index=True)
    created_at: datetime = when()
    last_seen_at: datetime = when()
    expires_at: datetime = Field(sa_type=UTCDateTime, index=True)
