"""Notices about alerts, by email through a real local SMTP server and by webhook: minimum data."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime

import httpx
import pytest
import respx

from core import notify
from core.config import Settings
from tests.safeguarding_kit import SmtpServer, free_port

HOOK = "https://duty.example/hooks/abc123key"
NOTICE = notify.Notice(
    alert_id=12,
    young_person_id=7,
    categories=("self_harm", "domestic_abuse"),
    about_someone_else=True,
    raised_at=datetime(2026, 12, 1, 21, 4, tzinfo=UTC),
    escalation=0,
    link="https://sayso.council.example/alerts/12",
)


def settings(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[arg-type]


async def test_an_email_says_who_needs_attention_and_where_to_read_it(smtp: SmtpServer) -> None:
    config = settings(
        smtp_host="127.0.0.1", smtp_port=smtp.port, smtp_tls="none", smtp_from="sayso@c.example"
    )
    await notify.send_email(config, NOTICE, "sam@council.example")
    [mail] = smtp.inbox.mails
    assert mail.to == ["sam@council.example"]
    assert mail.message["From"] == "sayso@c.example"
    assert mail.subject == "sayso alert 12: a young person needs attention"
    assert "sayso record 7" in mail.body
    assert "risk to life or self-harm; domestic abuse; it may be about someone else" in mail.body
    assert NOTICE.link in mail.body
    assert "words are not in this email" in mail.body


async def test_an_escalation_says_so_in_the_subject(smtp: SmtpServer) -> None:
    config = settings(smtp_host="127.0.0.1", smtp_port=smtp.port, smtp_tls="none")
    escalated = notify.Notice(**{**NOTICE.__dict__, "escalation": 3})
    await notify.send_email(config, escalated, "duty@council.example")
    [mail] = smtp.inbox.mails
    assert mail.subject.startswith("ESCALATED (3): sayso alert 12")
    assert "Nobody has acknowledged this alert yet" in mail.body


async def test_no_mail_server_is_a_notify_error_not_a_crash() -> None:
    config = settings(smtp_host="127.0.0.1", smtp_port=free_port(), smtp_tls="none")
    with pytest.raises(notify.NotifyError, match=r"email to sam@council\.example failed"):
        await notify.send_email(config, NOTICE, "sam@council.example")
    with pytest.raises(notify.NotifyError, match="SAYSO_SMTP_HOST"):
        await notify.send_email(settings(), NOTICE, "sam@council.example")


@respx.mock
async def test_the_webhook_gets_signed_json_without_the_words() -> None:
    route = respx.post(HOOK).mock(return_value=httpx.Response(200))
    config = settings(alert_webhook_url=HOOK, alert_webhook_secret="s3cret-for-the-duty-system")
    await notify.post_webhook(config, NOTICE)
    request = route.calls.last.request
    body = json.loads(request.content)
    assert body == {
        "event": "alert.raised",
        "alert_id": 12,
        "young_person_id": 7,
        "categories": ["self_harm", "domestic_abuse"],
        "about_someone_else": True,
        "raised_at": "2026-12-01T21:04:00+00:00",
        "escalation": 0,
        "url": NOTICE.link,
    }
    expected = hmac.new(b"s3cret-for-the-duty-system", request.content, hashlib.sha256)
    assert request.headers["X-Sayso-Signature"] == "sha256=" + expected.hexdigest()


@respx.mock
async def test_a_webhook_that_refuses_or_is_unreachable_is_a_notify_error() -> None:
    config = settings(alert_webhook_url=HOOK)
    respx.post(HOOK).mock(return_value=httpx.Response(500))
    with pytest.raises(notify.NotifyError, match="answered 500"):
        await notify.post_webhook(config, NOTICE)
    respx.post(HOOK).mock(side_effect=httpx.ConnectError("refused"))
    with pytest.raises(notify.NotifyError, match="ConnectError"):
        await notify.post_webhook(config, NOTICE)


def test_the_step_log_keeps_the_webhook_host_not_its_key() -> None:
    assert notify.webhook_target(HOOK) == "duty.example"
