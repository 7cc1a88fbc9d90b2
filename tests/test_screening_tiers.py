"""The two tiers of screening as a child and staff meet them: disclosures in languages the
interface does not speak reach help, the gentle check keeps the words and offers three taps,
a disclosure in two pieces is caught on the second, and a broken model fails loudly."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path

import httpx
import pytest
from sqlmodel import col, select

from api.check import check
from api.runtime import Runtime, build_runtime
from core.config import Settings
from core.models import CallbackRequest, Concern
from core.screening_triage import Triage, Verdict, load_triage
from tests.child import Child
from tests.safeguarding_kit import alerts_of, audit_actions
from tests.staff import add_staff, api_client, sign_in
from tests.telegram_stub import StubSession
from tests.test_safeguarding import child_row, give_worker
from tests.web_child import WebChild

CHILDLINE = "0800 1111"

# Written for these tests, in no file the screener learns from or is measured on.
NEW_LANGUAGES = {
    "ps": "زما تره شپه زما کوټې ته راځي او ما ته لاس وروړي، ډېر ډار لرم",
    "prs": "مالک موتر شویی پیسه نمیته و میگه اگر بری پولیس خبر میکنم",
    "ckb": "باوکم هەموو شەوێک لێم دەدات و ناتوانم بچمەوە ماڵەوە",
    "ti": "እቲ ሰብኣይ ፓስፖርተይ ወሲዱ ዕዳ ከይከፈልካ ኣይትወጽእን ይብለኒ",
    "sq": "burri i nenes sime me rreh çdo nate dhe kam frike te shkoj ne shtepi",
    "vi": "ông chủ giữ hộ chiếu của em và bắt em làm việc ở tiệm nail không trả lương",
    "so": "aabbahay wuxuu igu yiri waxaa lagu guursanayaa nin weyn bisha dambe",
    "am": "የእንጀራ አባቴ ማታ ማታ ወደ ክፍሌ እየመጣ ይነካኛል",
    "ar-Latn": "baba bidrobni kil yom w ana 5ayfe arja3 3al bet",
    "fa-Latn": "nemikham dige zende basham, hame chi tamoome",
    "mixed": "mera uncle bohat ganda hai he touches me jab koi ghar pe nahi hota",
}


class Checking:
    """A screener whose every verdict is the check tier: the turn's handling of it, alone."""

    def __init__(self, real: Triage) -> None:
        self.executor = real.executor

    def judge(self, text: str, before: Sequence[str] = ()) -> Verdict:
        return Verdict("check", ("neglect",), layer="semantic", score=0.8)

    def without_model(self, text: str, before: Sequence[str] = ()) -> Verdict:
        return self.judge(text, before)


@pytest.mark.parametrize("language", sorted(NEW_LANGUAGES))
async def test_a_disclosure_in_a_language_the_interface_does_not_speak_reaches_help(
    runtime: Runtime, onboarded: Child, language: str
) -> None:
    await onboarded.send(NEW_LANGUAGES[language])
    assert CHILDLINE in onboarded.said(), language


async def test_everyday_words_and_banter_raise_nothing(runtime: Runtime, onboarded: Child) -> None:
    child_id = (await child_row(runtime, onboarded)).id
    for text in ("my brother destroyed me at fifa last night 😂", "I'd die for a pizza rn"):
        await onboarded.send(text)
        assert CHILDLINE not in onboarded.said(), text
    assert await alerts_of(runtime, child_id) == []


async def test_the_check_tier_asks_gently_keeps_the_words_and_pages_no_one(
    runtime: Runtime, onboarded: Child
) -> None:
    assert runtime.services.screener is not None
    object.__setattr__(runtime.services, "screener", Checking(runtime.services.screener))
    child_id, _ = await give_worker(runtime, onboarded, age_band="13-15")
    await onboarded.send("nobody really cooks at home anymore")
    said = onboarded.said()
    assert "It sounds like something might be hard." in said
    assert CHILDLINE in said and "999" not in said  # no alarm
    assert onboarded.buttons() == ["💬 Tell you more", "📞 Ask someone to call me", "▶️ Carry on"]
    assert await alerts_of(runtime, child_id) == []
    async with runtime.sessionmaker() as session:
        [concern] = (await session.exec(select(Concern))).all()
        assert concern.message == "nobody really cooks at home anymore"  # kept
        assert concern.layer == "semantic" and concern.categories == ["neglect"]

    await onboarded.tap("Tell you more")
    assert "I am listening. Type what you want to say." in onboarded.said()
    await onboarded.send("mum is asleep all day and there is no food")
    assert "I kept your words. Your worker can read them." in onboarded.said()
    async with runtime.sessionmaker() as session:
        concerns = (await session.exec(select(Concern).order_by(col(Concern.id)))).all()
        assert concerns[0].child_choice == "more" and not concerns[0].listening
    assert await audit_actions(runtime, "concern.") == ["concern.raise", "concern.raise"]


async def test_asking_for_a_call_from_the_check_makes_the_promise(
    runtime: Runtime, onboarded: Child
) -> None:
    assert runtime.services.screener is not None
    object.__setattr__(runtime.services, "screener", Checking(runtime.services.screener))
    await onboarded.send("things are not great at my placement")
    await onboarded.tap("Ask someone to call me")
    said = onboarded.said()
    assert "I asked for someone to call you." in said
    assert "Someone will contact you within 24 hours." in said
    async with runtime.sessionmaker() as session:
        assert len((await session.exec(select(CallbackRequest))).all()) == 1
        [concern] = (await session.exec(select(Concern))).all()
        assert concern.child_choice == "call"


async def test_a_disclosure_in_two_pieces_is_caught_on_the_second(
    runtime: Runtime, make_child: Callable[..., Child], onboarded: Child
) -> None:
    first, second = "i dont want to go home tonight", "because of him"
    screener = runtime.services.screener
    assert screener is not None
    assert screener.judge(first).tier == "clear" and screener.judge(second).tier == "clear"
    await onboarded.send(first)
    assert CHILDLINE not in onboarded.said()
    await onboarded.send(second)
    assert CHILDLINE in onboarded.said()


async def test_words_deep_in_a_long_run_on_message_are_read(runtime: Runtime) -> None:
    """The model reads about 400 characters of a piece: a long message with no full stops is
    read in windows, so words near its end still count."""
    screener = runtime.services.screener
    assert screener is not None
    filler = (
        "school is ok and i like my football club and we go to the park on sundays and my "
        "carer makes nice food "
    ) * 4
    worrying = "i dont see the point of anything anymore and i have been giving my stuff away"
    assert not screener.lexicon.screen(worrying).flagged  # the model's catch, not the lexicon's
    assert screener.judge(filler).tier == "clear"
    assert screener.judge(filler + worrying).tier != "clear"


async def test_earlier_words_already_met_are_not_raised_again(
    runtime: Runtime, onboarded: Child
) -> None:
    child_id = (await child_row(runtime, onboarded)).id
    await onboarded.send("my dad hits me")
    await onboarded.tap("Carry on")
    await onboarded.send("ok")
    assert len(await alerts_of(runtime, child_id)) == 1


# -- when the model cannot be used -------------------------------------------------------------


@pytest.fixture
def damaged_model(tmp_path: Path) -> Path:
    path = tmp_path / "e5-small-q4.bin"
    path.write_bytes(b"not a model" * 1000)
    return path


async def test_a_damaged_model_fails_loudly_and_the_lexicon_screens_wider(
    settings: Settings,
    stub: StubSession,
    damaged_model: Path,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.ERROR)
    broken = settings.model_copy(update={"screening_model_file": damaged_model})
    runtime = await build_runtime(broken, bot_session=stub)
    try:
        assert runtime.services.screener is not None
        assert not runtime.services.screener.wait(120)
        assert "screening model unavailable" in caplog.text
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=_app(runtime)), base_url="http://test"
        ) as client:
            health = (await client.get("/health")).json()
        assert health["status"] == "degraded"
        assert health["screening"]["model"] == "failed" and health["screening"]["reason"]

        child = Child(runtime, stub, 4242, "en")
        await child.send("/start")
        await child.send("i want to kill myself")  # the lexicon: an alert, as always
        assert "call 999" in child.said()
        await child.tap("Carry on")
        await child.send("things at home have been weird lately")  # cannot be judged: checked
        assert "It sounds like something might be hard." in child.said()
    finally:
        await runtime.close()
    assert check(broken) == 1
    assert "SCREENING MODEL NOT AVAILABLE" in capsys.readouterr().out


def test_a_missing_model_file_is_said_plainly(tmp_path: Path) -> None:
    triage = load_triage(
        Settings().safeguarding_dir, model_file=tmp_path / "gone.bin", cache_dir=tmp_path
    )
    assert not triage.wait(60)
    assert triage.state.status == "failed" and "missing" in (triage.state.reason or "")
    assert triage.judge("i want to kill myself").tier == "alert"
    assert triage.judge("hi").tier == "clear"


def _app(runtime: Runtime):  # type: ignore[no-untyped-def]
    from api.app import create_app

    return create_app(runtime)


# -- staff see, judge and export ------------------------------------------------------------


async def test_staff_review_concerns_and_label_alerts_and_only_admins_export(
    runtime: Runtime, onboarded: Child, make_child: Callable[..., Child]
) -> None:
    assert runtime.services.screener is not None
    real = runtime.services.screener
    child_id, worker_id = await give_worker(runtime, onboarded)
    await onboarded.send("i want to kill myself")
    [alert] = await alerts_of(runtime, child_id)
    object.__setattr__(runtime.services, "screener", Checking(real))
    await onboarded.tap("Carry on")
    await onboarded.send("there is never much in the fridge")
    await add_staff(runtime, "other@council.example")
    await add_staff(runtime, "ada@council.example", role="admin")

    async with api_client(runtime, await sign_in(runtime, "sam@council.example")) as sam:
        listed = (await sam.get("/concerns")).json()
        assert [c["young_person_id"] for c in listed] == [child_id]
        assert "message" not in listed[0]
        concern_id = listed[0]["id"]
        read = (await sam.get(f"/concerns/{concern_id}")).json()
        assert read["message"] == "there is never much in the fridge"
        assert read["layer"] == "semantic" and read["score"] == 0.8
        got = await sam.get(f"/alerts/{alert.id}")
        assert got.json()["layer"] and got.json()["score"] is not None
        labelled = await sam.post(f"/alerts/{alert.id}/label", json={"label": "real"})
        assert labelled.status_code == 200 and labelled.json()["label"] == "real"
        reviewed = await sam.post(f"/concerns/{concern_id}/review", json={"label": "real"})
        assert reviewed.status_code == 200 and reviewed.json()["alert_id"] is not None
        assert (await sam.get("/safeguarding/labelled")).status_code == 403
    async with api_client(runtime, await sign_in(runtime, "other@council.example")) as other:
        assert (await other.get(f"/concerns/{concern_id}")).status_code == 404
        assert (await other.get("/concerns")).json() == []
    async with api_client(runtime, await sign_in(runtime, "ada@council.example")) as ada:
        rows = (await ada.get("/safeguarding/labelled")).json()
        assert {(r["kind"], r["label"]) for r in rows} >= {("alert", "real"), ("concern", "real")}
        assert any(r["words"] == "there is never much in the fridge" for r in rows)

    # A concern marked real is an alert now: acknowledged by the reviewer, routine waits.
    alerts = await alerts_of(runtime, child_id)
    assert len(alerts) == 2 and alerts[1].source == "review"
    assert alerts[1].acknowledged_by == worker_id and alerts[1].cleared_at is None
    actions = await audit_actions(runtime, "")
    for action in ("alert.label", "concern.review", "safeguarding.labelled_export"):
        assert action in actions


# -- the web chat: the same core, the same tiers --------------------------------------------


async def test_in_the_web_chat_a_disclosure_in_arabic_reaches_help_in_arabic(
    runtime: Runtime, admin: httpx.AsyncClient
) -> None:
    response = await admin.post(
        "/children", json={"display_name": "A.", "age_band": "13-15", "channel": "web"}
    )
    link = response.json()["link"]
    async with WebChild(runtime, language="ar") as child:
        await child.join(link)
        await child.open()
        await child.say("زوج أمي يضربني كل ليلة وأخاف أرجع للبيت")
        said = child.said()
        assert CHILDLINE in said and "999" in said
        assert "شكرًا" in said  # in the child's language


async def test_in_the_web_chat_the_check_offers_its_three_taps(
    runtime: Runtime, admin: httpx.AsyncClient
) -> None:
    assert runtime.services.screener is not None
    object.__setattr__(runtime.services, "screener", Checking(runtime.services.screener))
    response = await admin.post(
        "/children", json={"display_name": "B.", "age_band": "13-15", "channel": "web"}
    )
    async with WebChild(runtime) as child:
        await child.join(response.json()["link"])
        await child.open()
        await child.say("it is a bit rubbish at home")
        assert child.buttons() == [
            "💬 Tell you more",
            "📞 Ask someone to call me",
            "▶️ Carry on",
        ]
        await child.tap("Carry on")
        assert "It sounds like" not in child.said()
