"""Test helpers for safeguarding: a real local SMTP server, and reading alerts back."""

from __future__ import annotations

import socket
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from typing import Any

from aiosmtpd.controller import Controller
from sqlmodel import col, select

from api.runtime import Runtime
from core.models import Alert, AlertStep, AuditEntry


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Mail:
    to: list[str]
    message: Message

    @property
    def body(self) -> str:
        payload = self.message.get_payload(decode=True)
        return payload.decode() if isinstance(payload, bytes) else str(payload)

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])


@dataclass
class Inbox:
    """Everything the local SMTP server received."""

    mails: list[Mail] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.mails.append(Mail(list(envelope.rcpt_tos), message_from_bytes(envelope.content)))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[Mail]:
        return [m for m in self.mails if address in m.to]


class SmtpServer:
    """aiosmtpd in its own thread, on a free port: the real protocol, nothing leaves the machine."""

    def __init__(self) -> None:
        self.inbox = Inbox()
        self.port = free_port()
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)

    def start(self) -> None:
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()


async def alerts_of(runtime: Runtime, child_id: int | None = None) -> list[Alert]:
    async with runtime.sessionmaker() as session:
        query = select(Alert).order_by(col(Alert.id))
        if child_id is not None:
            query = query.where(Alert.young_person_id == child_id)
        return list((await session.exec(query)).all())


async def steps_of(runtime: Runtime, alert_id: int) -> list[AlertStep]:
    async with runtime.sessionmaker() as session:
        query = select(AlertStep).where(AlertStep.alert_id == alert_id).order_by(col(AlertStep.id))
        return list((await session.exec(query)).all())


async def audit_actions(runtime: Runtime, prefix: str = "alert.") -> list[str]:
    async with runtime.sessionmaker() as session:
        query = select(AuditEntry.action).order_by(col(AuditEntry.id))
        return [a for a in (await session.exec(query)).all() if a.startswith(prefix)]


async def move_clock(runtime: Runtime, alert_id: int, **values: Any) -> None:
    """Time passes for an alert: its times are edited, nobody sleeps."""
    async with runtime.sessionmaker() as session:
        alert = await session.get(Alert, alert_id)
        assert alert is not None
        for name, value in values.items():
            setattr(alert, name, value)
        await session.commit()
