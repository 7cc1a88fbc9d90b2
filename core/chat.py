"""A child's turn on any channel: store what they gave first, then say what comes next.

Adapters (Telegram, web) turn taps and words into calls here and show the Messages returned.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import timedelta

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core import engine, render
from core import when as timing
from core.children import preferences_of, trusted_contacts
from core.config import Settings
from core.content import SCALE, Conversation, Library, Question
from core.engine import Event, Finished, Record, Review, RunState, Step
from core.i18n import Translator, native_name, pick_locale
from core.models import (
    Answer,
    CallbackRequest,
    ConversationRun,
    TrustedContact,
    YoungPerson,
    utcnow,
)
from core.names import clean_name
from core.preferences import SETTINGS, Target, option_for
from core.render import Action, Button, Message, View

OWN_WORDS = "in_my_own_words"
COMMENT = "_comment"
ENGINE_ACTIONS = {
    "choose",
    "skip",
    "rather_not",
    "next",
    "back",
    "stop",
    "confirm",
    "change",
    "edit",
}


@dataclass(frozen=True)
class Services:
    """What every turn needs, built once at start-up."""

    library: Library
    settings: Settings
    locales: list[str]
    translator: Callable[[str], Translator]

    def languages(self) -> tuple[tuple[str, str], ...]:
        return tuple((code, native_name(code)) for code in self.locales)


class Chat:
    def __init__(
        self, services: Services, session: AsyncSession, child: YoungPerson, *, hint: str | None
    ) -> None:
        self.services, self.session, self.child, self.hint = services, session, child, hint

    @property
    def locale(self) -> str:
        return pick_locale(self.child.locale, self.hint, self.services.locales)

    @property
    def tr(self) -> Translator:
        return self.services.translator(self.locale)

    def view(self, **extra: object) -> View:
        return View(
            tr=self.tr,
            easy=self.child.reading_mode == "easy",
            **extra,  # type: ignore[arg-type]
        )

    # -- entry points ------------------------------------------------------------------------

    async def start(self, payload: str | None = None) -> list[Message]:
        messages: list[Message] = []
        if self.child.paused:
            self.child.paused = False
            messages.append(Message(self.tr.gettext("Welcome back! Messages are on again.")))
        run = await self._active_run()
        if run is not None:
            messages.append(
                Message(self.tr.gettext("Welcome back. Let's carry on where you left off."))
            )
            messages += await self._resume(run)
        elif not self.child.onboarded:
            messages += await self.begin(self.services.library.onboarding.id)
        else:
            messages += self.menu()
        await self.session.commit()
        return messages

    def menu(self) -> list[Message]:
        view = self.view()
        buttons = [
            [Button(render.title(c, view), Action("menu", value=c.id))]
            for c in self.services.library.menu()
        ]
        return [Message(self.tr.gettext("What would you like to tell us about?"), buttons)]

    async def begin(self, conversation_id: str, *, group: str | None = None) -> list[Message]:
        conversation = self.services.library.get(conversation_id)
        if conversation is None:
            return self.menu()
        await self._leave_active_run()
        outcome = engine.start(conversation, group=group)
        run = ConversationRun(
            young_person_id=self.child.id,
            conversation_id=conversation.id,
            content_version=conversation.version,
            locale=self.locale,
            state=outcome.state.model_dump(),
        )
        self.session.add(run)
        await self.session.flush()
        messages = await self._after(run, conversation, outcome)
        await self.session.commit()
        return messages

    async def act(self, run_id: int | None, action: Action) -> list[Message]:
        """A tap on a button."""
        if action.kind == "menu" and action.value:
            return await self.begin(action.value)
        if action.kind == "setting" and action.value:
            return await self.begin(self.services.library.onboarding.id, group=action.value)
        if action.kind == "language" and action.value:
            return await self.set_language(action.value)
        if action.kind == "untrust" and action.value:
            return await self.remove_trusted(action.value)
        if action.kind == "settings_done":
            return [Message(self.tr.gettext("✅ Your settings are saved.")), *self.menu()]
        if action.kind not in ENGINE_ACTIONS:
            return await self._stale()
        run = await self._active_run()
        if run is None or run.id != run_id:
            return await self._stale(run)
        event = Event(action.kind, action.question_id, action.value)  # type: ignore[arg-type]
        return await self._apply(run, event)

    async def typed(self, text: str) -> list[Message]:
        """Words the child typed, kept whole whatever was expected."""
        run = await self._active_run()
        if run is None:
            await self.begin(OWN_WORDS)
            run = await self._active_run()
            assert run is not None
        conversation, state = self._loaded(run)
        question = conversation.question(state.current or "") if conversation else None
        if conversation is None or state.phase != "asking" or question is None:
            return await self._comment(run, text)
        if question.type == "info":
            return await self._comment(run, text)
        if question.sets == "trusted_name" and clean_name(text) is None:
            return self._not_a_name(run, conversation, state)
        value = (
            render.match_option(question, text, self.view()) if not question.takes_text else None
        )
        if value is not None:
            return await self._apply(run, Event("choose", question.id, value))
        return await self._apply(run, Event("text", question.id, text=text))

    async def voice(self, file_id: str) -> list[Message]:
        run = await self._active_run()
        conversation, state = self._loaded(run) if run else (None, RunState())
        question = conversation.question(state.current or "") if conversation else None
        if run is None or question is None or question.type != "voice":
            return [Message(self.tr.gettext("I can only keep a voice note when I ask for one."))]
        return await self._apply(run, Event("voice", question.id, value=file_id))

    async def stop_all(self) -> list[Message]:
        """/stop: end any conversation, keeping what was given, and pause every message."""
        await self._leave_active_run(status="stopped")
        self.child.paused = True
        await self.session.commit()
        return [
            Message(
                self.tr.gettext(
                    "OK. I saved your answers and paused all messages. Send /start to come back."
                )
            )
        ]

    def help(self) -> list[Message]:
        tr = self.tr
        return [
            Message(tr.gettext("I help you tell your social care team what you think.")),
            Message(
                tr.gettext("Tap a button to answer. You can skip, go back or stop at any time.")
            ),
            Message(
                tr.gettext("Send /feedback to start. Send /talk to ask someone to contact you.")
            ),
        ]

    def privacy(self) -> list[Message]:
        view = self.view()
        onboarding = self.services.library.onboarding
        notes = [q for q in onboarding.questions if q.group == "privacy"]
        return [Message(view.words(q.text, q.easy)) for q in notes]

    async def cannot_take(self) -> list[Message]:
        """A sticker, photo, file, place or contact: not kept; show where we are."""
        note = Message(self.tr.gettext("Sorry, I can't take that. Please type, or tap a button."))
        run = await self._active_run()
        return [note, *(await self._resume(run) if run else self.menu())]

    # -- settings and language ---------------------------------------------------------------

    async def settings_menu(self) -> list[Message]:
        view = self.view()
        onboarding = self.services.library.onboarding
        prefs = await preferences_of(self.session, self.child)
        target = Target(self.child, prefs)
        lines = [self.tr.gettext("Your settings:"), ""]
        buttons: list[list[Button]] = []
        for group in onboarding.groups():
            questions = [q for q in onboarding.questions if q.group == group and q.sets]
            if not questions:
                continue
            first = questions[0]
            chosen = _current_label(first, target, view)
            lines.append(f"• {render.label(first, view)}: {chosen}")
            buttons.append(
                [Button("✏️ " + render.label(first, view), Action("setting", value=group))]
            )
        for contact in await trusted_contacts(self.session, self.child):
            buttons.append(
                [
                    Button(
                        render.fill(self.tr.gettext("🗑️ Remove {name}"), {"name": contact.name}),
                        Action("untrust", value=str(contact.id)),
                    )
                ]
            )
        buttons.append([Button(self.tr.gettext("✅ Done"), Action("settings_done"))])
        return [Message("\n".join(lines), buttons)]

    def language_menu(self) -> list[Message]:
        buttons = [
            [Button(name, Action("language", value=code))]
            for code, name in self.services.languages()
        ]
        return [Message(self.tr.gettext("Which language do you want?"), buttons)]

    async def set_language(self, code: str) -> list[Message]:
        if code in self.services.locales:
            self.child.locale = code
        await self.session.commit()
        messages = [Message(self.tr.gettext("OK. I will talk to you in English now."))]
        run = await self._active_run()
        if run is not None:
            messages += await self._resume(run)
        return messages

    async def remove_trusted(self, contact_id: str) -> list[Message]:
        contact = (
            await self.session.get(TrustedContact, int(contact_id))
            if contact_id.isdigit()
            else None
        )
        if contact is not None and contact.young_person_id == self.child.id:
            await self.session.delete(contact)
            await self.session.commit()
        return await self.settings_menu()

    # -- the conversation ---------------------------------------------------------------------

    def _loaded(self, run: ConversationRun) -> tuple[Conversation | None, RunState]:
        return self.services.library.get(run.conversation_id), RunState.model_validate(run.state)

    async def _active_run(self) -> ConversationRun | None:
        result = await self.session.exec(
            select(ConversationRun)
            .where(
                ConversationRun.young_person_id == self.child.id, ConversationRun.status == "active"
            )
            .order_by(col(ConversationRun.id).desc())
            .with_for_update()
        )
        return result.first()

    async def _leave_active_run(self, status: str = "left") -> None:
        run = await self._active_run()
        if run is not None:
            await self._close(run, status)

    async def _close(self, run: ConversationRun, status: str) -> None:
        run.status, run.finished_at, run.updated_at = status, utcnow(), utcnow()
        conversation = self.services.library.get(run.conversation_id)
        if conversation is not None and conversation.kind == "onboarding":
            # Stopping onboarding still counts: defaults stand and /settings can change them.
            self.child.onboarded = True

    async def _resume(self, run: ConversationRun) -> list[Message]:
        conversation, state = self._loaded(run)
        steps = engine.current_steps(conversation, state) if conversation else []
        if conversation is None or not steps:
            await self._close(run, "left")
            return self.menu()
        return await self._show(run, conversation, steps)

    async def _stale(self, run: ConversationRun | None = None) -> list[Message]:
        run = run or await self._active_run()
        note = Message(
            self.tr.gettext("That button is from an earlier message. Here is where we are.")
        )
        if run is None:
            return [note, *self.menu()]
        return [note, *await self._resume(run)]

    async def _apply(self, run: ConversationRun, event: Event) -> list[Message]:
        conversation, state = self._loaded(run)
        if conversation is None:
            return await self._resume(run)
        outcome = engine.apply(conversation, state, event)
        await self._store(run, conversation, outcome.state, outcome.records)
        messages = await self._after(run, conversation, outcome)
        await self.session.commit()
        return messages

    async def _after(
        self, run: ConversationRun, conversation: Conversation, outcome: engine.Outcome
    ) -> list[Message]:
        run.state = outcome.state.model_dump()
        run.updated_at = utcnow()
        finished = next((s for s in outcome.steps if isinstance(s, Finished)), None)
        if finished is not None:
            await self._finish(run, conversation, finished)
        return await self._show(run, conversation, outcome.steps)

    async def _finish(
        self, run: ConversationRun, conversation: Conversation, step: Finished
    ) -> None:
        await self._close(run, "stopped" if step.stopped else "finished")
        if step.confirmed:
            for answer in await self._answers(run):
                answer.confirmed = True

    async def _show(
        self, run: ConversationRun, conversation: Conversation, steps: list[Step]
    ) -> list[Message]:
        texts: dict[str, str] = {}
        if any(isinstance(s, Review | engine.PickEdit) for s in steps):
            texts = {a.question_id: a.text for a in await self._answers(run) if a.text}
        messages = render.render(steps, self.view(texts=texts))
        messages = [replace(m, run=run.id) for m in messages]
        if any(isinstance(s, Finished) for s in steps):
            messages += await self._after_finish(run, conversation)
        return messages

    async def _after_finish(
        self, run: ConversationRun, conversation: Conversation
    ) -> list[Message]:
        state = RunState.model_validate(run.state)
        if state.group is not None:
            return [Message(self.tr.gettext("✅ Saved.")), *await self.settings_menu()]
        messages = await self._promise(run)
        if conversation.kind == "onboarding":
            messages += self.menu()
        return messages

    async def _promise(self, run: ConversationRun) -> list[Message]:
        """The 24-hour call-back promise, with the time to expect contact."""
        result = await self.session.exec(
            select(CallbackRequest).where(CallbackRequest.run_id == run.id)
        )
        request = result.first()
        if request is None:
            return []
        hours = self.services.settings.callback_hours
        promise = self.tr.ngettext(
            "Someone will contact you within {hours} hour.",
            "Someone will contact you within {hours} hours.",
            hours,
        )
        by = self.tr.gettext("That is by {time} on {day}.")
        moment = timing.local_parts(request.due_at, self.services.settings.timezone, self.locale)
        return [Message(render.fill(promise, {"hours": hours}) + "\n" + render.fill(by, moment))]

    async def _answers(self, run: ConversationRun) -> list[Answer]:
        result = await self.session.exec(select(Answer).where(Answer.run_id == run.id))
        return list(result.all())

    # -- storing -----------------------------------------------------------------------------

    async def _store(
        self,
        run: ConversationRun,
        conversation: Conversation,
        state: RunState,
        records: list[Record],
    ) -> None:
        for record in records:
            if record.question.sets:
                await self._apply_setting(state, record)
                continue
            await self._upsert(run, conversation, record)
            option = record.question.option(record.given.value or "")
            if option is not None and option.action == "request_callback":
                await self._request_callback(run)

    async def _upsert(
        self, run: ConversationRun, conversation: Conversation, record: Record
    ) -> None:
        question, given = record.question, record.given
        answer = await self._answer_row(run, question.id)
        if answer is None:
            answer = Answer(
                run_id=run.id,
                young_person_id=self.child.id,
                conversation_id=conversation.id,
                question_id=question.id,
                area=conversation.area_of(question),
                content_version=conversation.version,
                locale=self.locale,
                status=given.status,
            )
            self.session.add(answer)
        answer.status, answer.locale = given.status, self.locale
        answer.value = given.value
        answer.score = dict(SCALE).get(given.value or "") if question.type == "scale" else None
        if record.text:
            answer.text = f"{answer.text}\n{record.text}" if answer.text else record.text
        if record.voice_file_id:
            answer.voice_file_id = record.voice_file_id
        answer.confirmed, answer.updated_at = False, utcnow()

    async def _answer_row(self, run: ConversationRun, question_id: str) -> Answer | None:
        result = await self.session.exec(
            select(Answer).where(Answer.run_id == run.id, Answer.question_id == question_id)
        )
        return result.first()

    async def _comment(self, run: ConversationRun, text: str) -> list[Message]:
        """Words typed where a tap was expected: kept with the run so nothing is lost."""
        conversation, _ = self._loaded(run)
        if conversation is not None:
            question = Question(id=COMMENT, type="text", text="")
            record = Record(question, engine.Given(status="answered", has_text=True), text=text)
            await self._upsert(run, conversation, record)
        await self.session.commit()
        note = Message(
            self.tr.gettext("Thank you. I saved your words. Please tap a button to go on.")
        )
        return [note, *await self._resume(run)]

    def _not_a_name(
        self, run: ConversationRun, conversation: Conversation, state: RunState
    ) -> list[Message]:
        note = Message(
            self.tr.gettext("Please type just their first name. No phone numbers or emails.")
        )
        steps = engine.current_steps(conversation, state)
        return [note, *[replace(m, run=run.id) for m in render.render(steps, self.view())]]

    async def _apply_setting(self, state: RunState, record: Record) -> None:
        question, given = record.question, record.given
        if given.status != "answered":
            return
        if question.sets == "trusted_name":
            await self._save_trusted_name(state, clean_name(record.text or "") or "")
        elif question.sets == "trusted_relationship":
            contact = await self.session.get(TrustedContact, state.context.get("contact", 0))
            if contact is not None and contact.young_person_id == self.child.id:
                contact.relationship = given.value
        elif question.sets == "language":
            if given.value in self.services.locales:
                self.child.locale = given.value
        elif given.value is not None and question.sets in SETTINGS:
            prefs = await preferences_of(self.session, self.child)
            SETTINGS[question.sets].apply(Target(self.child, prefs), given.value)
            prefs.updated_at = utcnow()

    async def _save_trusted_name(self, state: RunState, name: str) -> None:
        if not name:
            return
        contact = await self.session.get(TrustedContact, state.context.get("contact", 0))
        if contact is None or contact.young_person_id != self.child.id:
            contact = TrustedContact(young_person_id=self.child.id, name=name)
            self.session.add(contact)
            await self.session.flush()
            state.context["contact"] = contact.id or 0
        contact.name = name

    async def _request_callback(self, run: ConversationRun) -> None:
        result = await self.session.exec(
            select(CallbackRequest).where(CallbackRequest.run_id == run.id)
        )
        if result.first() is None:
            due = utcnow() + timedelta(hours=self.services.settings.callback_hours)
            self.session.add(
                CallbackRequest(young_person_id=self.child.id, run_id=run.id, due_at=due)
            )


def _current_label(question: Question, target: Target, view: View) -> str:
    value = option_for(question.sets or "", target)
    labels = dict(render.option_labels(question, view))
    return labels.get(value or "", view.tr.gettext("Not set"))
