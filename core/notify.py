"""Telling a person about an alert without Telegram: email over SMTP, and an HTTPS webhook.

Minimum data: a notice says that a young person needs attention, what it is about and where
to read it (the alert's id and link). It never carries the child's words or chat id.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from urllib.parse import urlsplit

import aiosmtplib
import httpx

from core.config import Settings

TIMEOUT_SECONDS = 20.0

# The lexicon's categories (content/safeguarding/*.yaml), as staff read them in a notice.
CATEGORY_NAMES = {
    "self_harm": "risk to life or self-harm",
    "sexual_abuse": "sexual abuse or exploitation",
    "abuse_neglect": "physical or emotional abuse, or neglect",
    "domestic_abuse": "domestic abuse",
    "missing": "going missing or running away",
    "criminal_exploitation": "criminal exploitation",
    "bullying_online": "bullying or online harm",
    "someone_else": "a worry about someone else",
    "screening_error": "a message that could not be checked (treated as a concern)",
    "unsafe_answer": "a low answer to a safety question",
}


class NotifyError(Exception):
    """A notice did not go; the escalation job tries again on its next tick."""


@dataclass(frozen=True)
class Notice:
    alert_id: int
    young_person_id: int
    categories: tuple[str, ...]
    about_someone_else: bool
    raised_at: datetime
    # 0: the first notice; 1, 2...: escalations to the duty team, one per interval.
    escalation: int
    link: str

    @property
    def about(self) -> str:
        names = [CATEGORY_NAMES.get(c, c.replace("_", " ")) for c in self.categories]
        if self.about_someone_else:
            names.append("it may be about someone else")
        return "; ".join(dict.fromkeys(names)) or "a concern"


def email_of(notice: Notice, *, sender: str, to: str) -> EmailMessage:
    message = EmailMessage()
    escalated = f"ESCALATED ({notice.escalation}): " if notice.escalation else ""
    message["Subject"] = f"{escalated}sayso alert {notice.alert_id}: a young person needs attention"
    message["From"], message["To"] = sender, to
    lines = [
        f"A young person (sayso record {notice.young_person_id}) needs attention.",
        f"What it is about: {notice.about}.",
        f"Raised: {notice.raised_at:%Y-%m-%d %H:%M} UTC.",
    ]
    if notice.escalation:
        lines.append(
            f"Nobody has acknowledged this alert yet. This is escalation {notice.escalation}."
        )
    lines += [
        "",
        f"Open the alert: {notice.link}",
        "Acknowledge it there when you pick it up; until then it keeps escalating.",
        "The young person's words are not in this email. Read them in sayso.",
    ]
    message.set_content("\n".join(lines))
    return message


async def send_email(settings: Settings, notice: Notice, to: str) -> None:
    """One email through the configured SMTP server; NotifyError if it did not go."""
    if not settings.smtp_host:
        raise NotifyError("SAYSO_SMTP_HOST is not set")
    password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
    try:
        await aiosmtplib.send(
            email_of(notice, sender=settings.smtp_from, to=to),
            hostname=settings.smtp_host,
            port=settings.smtp_port,
            username=settings.smtp_user or None,
            password=password,
            use_tls=settings.smtp_tls == "tls",
            start_tls=settings.smtp_tls == "starttls",
            timeout=TIMEOUT_SECONDS,
        )
    except (aiosmtplib.SMTPException, OSError) as error:
        raise NotifyError(f"email to {to} failed: {type(error).__name__}: {error}") from error


def webhook_body(notice: Notice) -> bytes:
    return json.dumps(
        {
            "event": "alert.escalated" if notice.escalation else "alert.raised",
            "alert_id": notice.alert_id,
            "young_person_id": notice.young_person_id,
            "categories": list(notice.categories),
            "about_someone_else": notice.about_someone_else,
            "raised_at": notice.raised_at.isoformat(),
            "escalation": notice.escalation,
            "url": notice.link,
        }
    ).encode()


def signature(secret: str, body: bytes) -> str:
    """HMAC-SHA256 of the body, so the receiver can tell the notice came from us."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


async def post_webhook(settings: Settings, notice: Notice) -> None:
    """POST the notice as JSON; anything but a 2xx answer is a NotifyError."""
    url = settings.alert_webhook_url
    if not url:
        raise NotifyError("SAYSO_ALERT_WEBHOOK_URL is not set")
    body = webhook_body(notice)
    headers = {"Content-Type": "application/json"}
    if settings.alert_webhook_secret is not None:
        headers["X-Sayso-Signature"] = signature(
            settings.alert_webhook_secret.get_secret_value(), body
        )
    try:
        async with httpx.AsyncClient(timeout=TIMEOUT_SECONDS) as client:
            response = await client.post(url, content=body, headers=headers)
    except httpx.HTTPError as error:
        raise NotifyError(f"webhook failed: {type(error).__name__}: {error}") from error
    if not response.is_success:
        raise NotifyError(f"webhook answered {response.status_code}")


def webhook_target(url: str) -> str:
    """What the step log keeps of the webhook: its host, never its path (it may hold a key)."""
    return urlsplit(url).netloc or "webhook"
