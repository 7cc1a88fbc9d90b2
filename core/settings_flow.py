"""The child's settings: applying onboarding answers, and the /settings summary with buttons."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from core import render
from core.children import preferences_of, trusted_contacts
from core.content import Conversation, Question
from core.engine import Record, RunState
from core.models import TrustedContact, YoungPerson, utcnow
from core.names import clean_name
from core.preferences import RELATIONSHIPS, SETTINGS, Target, option_for
from core.render import Action, Button, Message, View


async def apply_setting(
    session: AsyncSession,
    *,
    child: YoungPerson,
    locales: list[str],
    state: RunState,
    record: Record,
) -> None:
    """Store a settings answer where a scheduler reads it; skipping keeps what was there."""
    question, given = record.question, record.given
    if given.status != "answered":
        return
    if question.sets == "trusted_name":
        await _save_trusted_name(session, child, state, clean_name(record.text or ""))
    elif question.sets == "trusted_relationship":
        contact = await _pending_contact(session, child, state)
        if contact is not None and given.value in RELATIONSHIPS:
            contact.relationship = given.value
    elif question.sets == "language":
        if given.value in locales:
            child.locale = given.value
    elif given.value is not None and question.sets in SETTINGS:
        prefs = await preferences_of(session, child)
        SETTINGS[question.sets].apply(Target(child, prefs), given.value)
        prefs.updated_at = utcnow()


async def _pending_contact(
    session: AsyncSession, child: YoungPerson, state: RunState
) -> TrustedContact | None:
    """The trusted adult this run is about (Back and edits change it, not add another)."""
    contact = await session.get(TrustedContact, state.context.get("contact", 0))
    return contact if contact is not None and contact.young_person_id == child.id else None


async def _save_trusted_name(
    session: AsyncSession, child: YoungPerson, state: RunState, name: str | None
) -> None:
    if not name:
        return
    contact = await _pending_contact(session, child, state)
    if contact is None:
        contact = TrustedContact(young_person_id=child.id, name=name)
        session.add(contact)
        await session.flush()
        state.context["contact"] = contact.id or 0
    contact.name = name


async def remove_trusted_contact(
    session: AsyncSession, *, child: YoungPerson, contact_id: str
) -> None:
    contact = await session.get(TrustedContact, int(contact_id)) if contact_id.isdigit() else None
    if contact is not None and contact.young_person_id == child.id:
        await session.delete(contact)


async def settings_message(
    session: AsyncSession, *, child: YoungPerson, onboarding: Conversation, view: View
) -> Message:
    """Every setting with its current value, a button to change each, and trusted adults."""
    tr = view.tr
    target = Target(child, await preferences_of(session, child))
    lines, buttons = [tr.gettext("Your settings:"), ""], []
    for group in onboarding.groups():
        first = next((q for q in onboarding.questions if q.group == group and q.sets), None)
        if first is None:
            continue
        lines.append(f"• {render.label(first, view)}: {_current_label(first, target, view)}")
        buttons.append([Button("✏️ " + render.label(first, view), Action("setting", value=group))])
    relationship = next((q for q in onboarding.questions if q.sets == "trusted_relationship"), None)
    for contact in await trusted_contacts(session, child):
        who = (
            dict(render.option_labels(relationship, view)).get(contact.relationship or "")
            if relationship
            else None
        )
        lines.append(
            f"• {tr.gettext('Trusted adult')}: {contact.name}" + (f" ({who})" if who else "")
        )
        remove = render.fill(tr.gettext("🗑️ Remove {name}"), {"name": contact.name})
        buttons.append([Button(remove, Action("untrust", value=str(contact.id)))])
    buttons.append([Button(tr.gettext("✅ Done"), Action("settings_done"))])
    return Message("\n".join(lines), buttons)


def _current_label(question: Question, target: Target, view: View) -> str:
    value = option_for(question.sets or "", target)
    labels = dict(render.option_labels(question, view))
    return labels.get(value or "", view.tr.gettext("Not set"))
