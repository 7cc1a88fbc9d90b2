"""A child's turn on any channel: store what they gave first, then say what comes next.

Adapters (Telegram, web) turn taps and words into calls here and show the Messages returned.
Nothing here commits: a turn works in the one transaction its adapter opened (flushing where
it needs ids), and the adapter commits it, with the update's de-duplication record, once. So a
turn that fails anywhere leaves nothing behind, and its retry does the whole turn once. The one
exception, a safeguarding alert, is committed first on its own (core.safeguarding.alert_first).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from core import concerns, engine, enrolment, proactive, render, safeguarding
from core import my_data as mine
from core import when as timing
from core.answers import (
    answers_of,
    callback_request_of,
    confirm_answers,
    request_callback,
    save_answer,
)
from core.checkins import run_closed
from core.children import active_run, preferences_of
from core.config import Settings
from core.contact import in_quiet_hours
from core.content import Conversation, Library, Question
from core.engine import TAP_EVENTS, Event, Finished, Record, Review, RunState, Step
from core.i18n import Translator, native_name, pick_locale
from core.models import Alert, Concern, ConversationRun, YoungPerson, utcnow
from core.names import clean_name
from core.render import Action, Button, Message, View
from core.screening_triage import Triage
from core.settings_flow import apply_setting, remove_trusted_contact, settings_message

OWN_WORDS = "in_my_own_words"
COMMENT = "_comment"
# What a child can ask for on any channel: /help on Telegram, the menu in the web chat.
COMMANDS = (
    "start",
    "help",
    "feedback",
    "talk",
    "settings",
    "language",
    "privacy",
    "mydata",
    "delete",
    "stop",
)


@dataclass(frozen=True)
class Services:
    """What every turn needs, built once at start-up."""

    library: Library
    settings: Settings
    locales: list[str]
    translator: Callable[[str], Translator]
    # Judges every child's words: alert, check or clear (core.screening_triage).
    screener: Triage | None = None

    def languages(self) -> tuple[tuple[str, str], ...]:
        return tuple((code, native_name(code)) for code in self.locales)


_UNKNOWN = object()


class Chat:
    def __init__(
        self,
        services: Services,
        session: AsyncSession,
        child: YoungPerson,
        *,
        hint: str | None,
        run: ConversationRun | object | None = _UNKNOWN,
        origin: str | None = None,
    ) -> None:
        """`run`: the child's active run when the caller already loaded it with the child.
        `origin`: what this turn is, stable across its retries ("telegram:<update id>",
        "web:<turn id>"), so an alert it raised is found again, not raised twice; None where
        no retry can come (the staff preview)."""
        self.services, self.session, self.child, self.hint = services, session, child, hint
        self._run, self.origin = run, origin

    @property
    def locale(self) -> str:
        return pick_locale(self.child.locale, self.hint, self.services.locales)

    @property
    def tr(self) -> Translator:
        return self.services.translator(self.locale)

    def view(self, **extra: object) -> View:
        # Numbers the content may quote, so what it says stays true to the settings.
        values = {"months": str(self.services.settings.free_text_months)}
        values.update(extra.pop("extra", {}))  # type: ignore[call-overload]
        return View(
            tr=self.tr,
            easy=self.child.reading_mode == "easy",
            extra=values,
            **extra,  # type: ignore[arg-type]
        )

    # -- entry points ------------------------------------------------------------------------

    async def start(self, payload: str | None = None) -> list[Message]:
        messages = await self._link(payload) if payload else []
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
        return messages

    async def command(self, name: str) -> list[Message]:
        """One of COMMANDS, whichever channel it came from; an unknown one gets help."""
        if name == "start":
            return await self.start()
        if name == "feedback":
            return await self.feedback()
        if name == "talk":
            return await self.begin("talk")
        if name == "settings":
            return await self.settings_menu()
        if name == "language":
            return self.language_menu()
        if name == "privacy":
            return self.privacy()
        if name == "mydata":
            return await self.my_data()
        if name == "delete":
            return await self.forget("ask")
        if name == "stop":
            return await self.stop_all()
        if name == "help":
            return self.help()
        return [Message(self.tr.gettext("Sorry, I don't know that command.")), *self.help()]

    async def feedback(self) -> list[Message]:
        """/feedback: the menu. In the middle of a conversation, ask first: picking from the
        menu would leave the open one, and a child who only wanted to look must not lose it.
        Getting started is not asked about: a newcomer who asks to give feedback wants to, and
        leaving it keeps the defaults (/settings changes them), as /stop does."""
        run = await self._active_run()
        conversation = self.services.library.get(run.conversation_id) if run else None
        if run is None or conversation is None or conversation.kind == "onboarding":
            return self.menu()
        tr = self.tr
        text = tr.gettext("You are in the middle of “{title}”. Carry on, or start a new one?")
        buttons = [
            [Button(tr.gettext("▶️ Carry on"), Action("carry_on"))],
            [Button(tr.gettext("🆕 Start a new one"), Action("menu"))],
        ]
        title = self.view().words(conversation.title, conversation.title_easy)
        return [Message(render.fill(text, {"title": title}), buttons, run=run.id)]

    async def _link(self, token: str) -> list[Message]:
        """An enrolment link from a worker: this chat joins the record they made."""
        enrolled = await enrolment.redeem(self.session, self.child, token)
        if enrolled is None:
            return [
                Message(
                    self.tr.gettext(
                        "This link does not work any more. You can still use me. "
                        "Ask your worker for a new link if you like."
                    )
                )
            ]
        self.child = enrolled
        return [Message(self.tr.gettext("✅ You are now set up with your worker."))]

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
        self._run = run
        messages = await self._after(run, conversation, outcome)
        return messages

    async def act(self, run_id: int | None, action: Action) -> list[Message]:
        """A tap on a button."""
        if action.kind == "menu" and action.value:
            return await self.begin(action.value)
        if action.kind == "menu":  # "Start a new one": the open one is left once they pick
            return self.menu()
        if action.kind == "carry_on":
            return await self.where_we_are()
        if action.kind == "setting" and action.value:
            return await self.begin(self.services.library.onboarding.id, group=action.value)
        if action.kind == "language" and action.value:
            return await self.set_language(action.value)
        if action.kind == "untrust" and action.value:
            return await self.remove_trusted(action.value)
        if action.kind == "respond":
            return await self.respond(action)
        if action.kind == "forget" and action.value:
            return await self.forget(action.value)
        if action.kind == "settings_done":
            return [Message(self.tr.gettext("✅ Your settings are saved.")), *self.menu()]
        if action.kind not in TAP_EVENTS:
            return await self._stale()
        run = await self._active_run()
        if run is None or run.id != run_id:
            return await self._stale()
        event = Event(action.kind, action.question_id, action.value)  # type: ignore[arg-type]
        return await self._apply(run, event)

    async def respond(self, action: Action) -> list[Message]:
        """An answer to a proactive message (a heads-up, a "you said, we did"...)."""
        found = proactive.parse_subject(action.question_id)
        if found is None or not action.value:
            return await self._stale()
        responder, subject_id = found
        messages = await responder(self, subject_id, action.value)
        return messages

    async def typed(self, text: str, *, source: str = "typed") -> list[Message]:
        """Words the child typed, kept whole whatever was expected; screened first, with the
        one or two messages before them (disclosures come in pieces)."""
        listening = await concerns.listening_to(self.session, self.child)
        flag = await self._screen(text, source)
        if listening is not None:
            return await self._told_more(listening, flag, text)
        return await safeguarding.safety_first(self, flag, await self._typed(text))

    async def _screen(self, text: str | None, source: str) -> safeguarding.Flag | None:
        before = await self.recent_words() if text else []
        return await safeguarding.screen(self, text, source=source, before=before)

    async def _told_more(
        self, concern: Concern, flag: safeguarding.Flag | None, text: str
    ) -> list[Message]:
        """The child tapped "tell you more" and wrote: their words are kept with the run (not
        taken as the answer to the open question) and they are thanked; an alert still wins."""
        concern.listening = False
        run, _ = await self._open_run()
        await self._keep(run, text=text)
        if isinstance(flag, Alert):
            concern.alert_id = flag.id
            return await safeguarding.safety_first(self, flag, [])
        return concerns.kept_reply(self.tr, concern)

    async def recent_words(self) -> list[str]:
        """The child's last one or two typed messages in the open conversation, oldest first."""
        run = await self._active_run()
        if run is None:
            return []
        answers = sorted(
            (a for a in await answers_of(self.session, run) if a.text),
            key=lambda a: (a.updated_at, a.id or 0),
        )
        lines = [line for a in answers for line in (a.text or "").splitlines() if line.strip()]
        return lines[-2:]

    async def ask_for_call(self) -> list[Message]:
        """A call-back asked for from a button (the check tier): the same promise as "I want
        to talk to someone", then back to where the child was."""
        run, _ = await self._open_run()
        await request_callback(self.session, run=run, hours=self.services.settings.callback_hours)
        await self.session.flush()
        return [*await self._promise(run), *await self.where_we_are()]

    async def captioned(self, text: str) -> list[Message]:
        """A photo or file with words: the file is not kept, the words are."""
        alert = await self._screen(text, "caption")
        note = Message(self.tr.gettext("I can't keep photos or files, but I saved your words."))
        return await safeguarding.safety_first(self, alert, [note, *await self._typed(text)])

    async def _typed(self, text: str) -> list[Message]:
        newcomer = not self.child.onboarded
        run, opening = await self._open_run()
        if opening and newcomer:
            # Kept, but first the child hears who reads their words.
            await self._keep(run, text=text)
            return opening
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

    async def words_with_command(self, words: str) -> list[Message] | None:
        """Words typed after a command ("/talk I want to die") are screened like any others;
        the safety reply, or None when there is nothing to worry about."""
        alert = await self._screen(words, "command")
        return None if alert is None else await safeguarding.safety_first(self, alert, [])

    async def voice(self, file_id: str, caption: str | None = None) -> list[Message]:
        """A voice note (its caption, if any, is screened first and kept with it)."""
        alert = await self._screen(caption, "voice_caption")
        return await safeguarding.safety_first(self, alert, await self._voice(file_id, caption))

    async def _voice(self, file_id: str, caption: str | None) -> list[Message]:
        run = await self._active_run()
        conversation, state = self._loaded(run) if run else (None, RunState())
        question = conversation.question(state.current or "") if conversation else None
        if run is not None and question is not None and question.type == "voice":
            event = Event("voice", question.id, value=file_id, text=caption or None)
            return await self._apply(run, event)
        run, _ = await self._open_run()
        await self._keep(run, text=caption or None, voice=file_id)
        note = Message(self.tr.gettext("Thank you. I kept your voice note for your worker."))
        return [note, *await self.where_we_are()]

    async def edited(self, text: str) -> list[Message]:
        """A child changed a message they sent: the new words are kept beside the old ones."""
        alert = await self._screen(text, "edited")
        run, _ = await self._open_run()
        await self._keep(run, text=text)
        note = self.tr.gettext("I saw that you changed your message. I saved the new words.")
        return await safeguarding.safety_first(self, alert, [Message(note)])

    async def stop_all(self) -> list[Message]:
        """/stop: end any conversation, keeping what was given, and pause every message."""
        await self._leave_active_run(status="stopped")
        self.child.paused = True
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

    async def my_data(self) -> list[Message]:
        """/mydata: a readable copy of what is kept about them."""
        return await mine.my_data(
            self.session, child=self.child, library=self.services.library, view=self.view()
        )

    async def forget(self, answer: str) -> list[Message]:
        """/delete, then "yes": erase, keeping only what a safeguarding hold needs."""
        view = self.view()
        if answer == "ask":
            return mine.ask_to_delete(view)
        if answer != "yes":
            return [Message(self.tr.gettext("OK. I kept everything.")), *self.menu()]
        chat_id, locale = self.child.telegram_chat_id, self.child.locale
        messages = await mine.delete_my_data(self.session, child=self.child, view=view)
        # Written (not committed: the adapter commits the turn) before the objects go.
        await self.session.flush()
        # The rows are gone; what is left here is only enough to send this last reply.
        self.session.expunge_all()
        self.child = YoungPerson(telegram_chat_id=chat_id, locale=locale, onboarded=True)
        self._run = None
        return messages

    def privacy(self) -> list[Message]:
        view = self.view()
        onboarding = self.services.library.onboarding
        notes = [q for q in onboarding.questions if q.group == "privacy"]
        return [Message(view.words(q.text, q.easy)) for q in notes]

    async def cannot_take(self) -> list[Message]:
        """A sticker, photo, file, place or contact: not kept; show where we are."""
        note = Message(self.tr.gettext("Sorry, I can't take that. Please type, or tap a button."))
        return [note, *await self.where_we_are()]

    # -- settings and language ---------------------------------------------------------------

    async def settings_menu(self) -> list[Message]:
        onboarding = self.services.library.onboarding
        return [
            await settings_message(
                self.session, child=self.child, onboarding=onboarding, view=self.view()
            )
        ]

    def language_menu(self) -> list[Message]:
        buttons = [
            [Button(name, Action("language", value=code))]
            for code, name in self.services.languages()
        ]
        return [Message(self.tr.gettext("Which language do you want?"), buttons)]

    async def set_language(self, code: str) -> list[Message]:
        if code in self.services.locales:
            self.child.locale = code
        messages = [Message(self.tr.gettext("OK. I will talk to you in English now."))]
        run = await self._active_run()
        if run is not None:
            messages += await self._resume(run)
        return messages

    async def remove_trusted(self, contact_id: str) -> list[Message]:
        await remove_trusted_contact(self.session, child=self.child, contact_id=contact_id)
        return await self.settings_menu()

    # -- the conversation ---------------------------------------------------------------------

    def _loaded(self, run: ConversationRun) -> tuple[Conversation | None, RunState]:
        return self.services.library.get(run.conversation_id), RunState.model_validate(run.state)

    async def _active_run(self) -> ConversationRun | None:
        if self._run is _UNKNOWN:
            self._run = await active_run(self.session, self.child)
        run = self._run
        return run if isinstance(run, ConversationRun) and run.status == "active" else None

    async def _open_run(self) -> tuple[ConversationRun, list[Message]]:
        """The active run, else a new one to keep unasked words in: onboarding for a newcomer,
        "Something else" otherwise. Also returns what starting it would show."""
        run = await self._active_run()
        if run is not None:
            return run, []
        first = OWN_WORDS if self.child.onboarded else self.services.library.onboarding.id
        opening = await self.begin(first)
        run = await self._active_run()
        assert run is not None
        return run, opening

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
        else:  # the check-in it was opened for, if any, is done
            await run_closed(self.session, run, timezone=self.services.settings.timezone)

    async def _resume(self, run: ConversationRun) -> list[Message]:
        conversation, state = self._loaded(run)
        steps = engine.current_steps(conversation, state) if conversation else []
        if conversation is None or not steps:
            await self._close(run, "left")
            return self.menu()
        return await self._show(run, conversation, steps)

    async def _stale(self) -> list[Message]:
        note = Message(
            self.tr.gettext("That button is from an earlier message. Here is where we are.")
        )
        return [note, *await self.where_we_are()]

    async def where_we_are(self) -> list[Message]:
        """The open question, else onboarding for a newcomer, else the menu."""
        run = await self._active_run()
        if run is not None:
            return await self._resume(run)
        if not self.child.onboarded:
            return await self.begin(self.services.library.onboarding.id)
        return self.menu()

    async def _apply(self, run: ConversationRun, event: Event) -> list[Message]:
        conversation, state = self._loaded(run)
        if conversation is None:
            return await self._resume(run)
        outcome = engine.apply(conversation, state, event)
        await self._store(run, conversation, outcome.state, outcome.records)
        alert = None
        for record in outcome.records:  # a low answer to a safety question
            alert = await safeguarding.low_answer(self, record) or alert
        messages = await self._after(run, conversation, outcome)
        return await safeguarding.safety_first(self, alert, messages)

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
            await confirm_answers(self.session, run)

    async def _show(
        self, run: ConversationRun, conversation: Conversation, steps: list[Step]
    ) -> list[Message]:
        texts: dict[str, str] = {}
        if any(isinstance(s, Review | engine.PickEdit) for s in steps):
            texts = {a.question_id: a.text for a in await answers_of(self.session, run) if a.text}
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
        request = await callback_request_of(self.session, run)
        if request is None:
            return []
        hours = self.services.settings.callback_hours
        promise = self.tr.ngettext(
            "Someone will contact you within {hours} hour.",
            "Someone will contact you within {hours} hours.",
            hours,
        )
        timezone = self.services.settings.timezone
        # Rounded down: told "by about 4 PM", the child is never told a later time than the real
        # deadline, so the promise stays true to SAYSO_CALLBACK_HOURS.
        when = timing.human_time(
            request.due_at, now=utcnow(), timezone=timezone, tr=self.tr, how="down"
        )
        lines = [
            render.fill(promise, {"hours": hours}),
            render.fill(self.tr.gettext("That is by {when}."), {"when": when}),
        ]
        prefs = await preferences_of(self.session, self.child)
        if in_quiet_hours(prefs, request.due_at, ZoneInfo(timezone)):
            # The deadline is in the child's quiet time. We keep the promise rather than wait
            # for the quiet time to end: a child who asks to talk may not be safe, and a worker
            # may need to ring before morning. Moving the deadline would quietly break the
            # promise; ringing without warning would break the child's trust. So we say so.
            lines.append(
                self.tr.gettext(
                    "That is in your quiet time, so someone may contact you in your quiet time."
                )
            )
        return [Message("\n".join(lines))]

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
                await apply_setting(
                    self.session,
                    child=self.child,
                    locales=self.services.locales,
                    state=state,
                    record=record,
                )
                continue
            await save_answer(
                self.session, run=run, conversation=conversation, record=record, locale=self.locale
            )
            option = record.question.option(record.given.value or "")
            if option is not None and option.action == "request_callback":
                await request_callback(
                    self.session, run=run, hours=self.services.settings.callback_hours
                )

    async def _keep(
        self, run: ConversationRun | None, *, text: str | None = None, voice: str | None = None
    ) -> None:
        """Words or a voice note given where none was asked for: kept with the run."""
        conversation = self.services.library.get(run.conversation_id) if run else None
        if run is not None and conversation is not None:
            # Not a content question: its id cannot clash with one (content ids start a-z).
            question = Question.model_construct(id=COMMENT, type="text", text="")
            given = engine.Given(status="answered", has_text=True)
            record = Record(question, given, text=text, voice_file_id=voice)
            await save_answer(
                self.session, run=run, conversation=conversation, record=record, locale=self.locale
            )

    async def _comment(self, run: ConversationRun, text: str) -> list[Message]:
        """Words typed where a tap was expected: kept with the run so nothing is lost."""
        await self._keep(run, text=text)
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
