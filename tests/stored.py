"""What the database holds about a test child, read in a session of its own."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import col, select

from api.runtime import Runtime
from core.models import Answer, Preferences, TrustedContact, YoungPerson
from tests.child import Child


@dataclass
class Stored:
    person: YoungPerson
    prefs: Preferences
    contacts: list[TrustedContact]
    answers: dict[str, Answer]


async def stored(runtime: Runtime, child: Child) -> Stored:
    async with runtime.sessionmaker() as session:
        query = select(YoungPerson).where(YoungPerson.telegram_chat_id == child.chat_id)
        person = (await session.exec(query)).one()
        prefs = await session.get(Preferences, person.id)
        assert prefs is not None
        contacts = await session.exec(
            select(TrustedContact).where(TrustedContact.young_person_id == person.id)
        )
        answers = await session.exec(
            select(Answer).where(Answer.young_person_id == person.id).order_by(col(Answer.id))
        )
        return Stored(
            person, prefs, list(contacts.all()), {a.question_id: a for a in answers.all()}
        )
