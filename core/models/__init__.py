"""Every table, importable from one place."""

from core.models.base import UTCDateTime, utcnow, when
from core.models.children import (
    Answer,
    CallbackRequest,
    ConversationRun,
    Preferences,
    ProcessedUpdate,
    TrustedContact,
    YoungPerson,
)
from core.models.contact import CheckIn, EnrolmentToken, OutboxMessage
from core.models.exports import ExportChild, ExportJob
from core.models.replies import Reply, ReplyRecipient, ReplyText
from core.models.safeguarding import Alert, AlertStep, Concern
from core.models.staff import AuditEntry, Staff, StaffNotice, StaffToken
from core.models.web import WebSession

__all__ = [
    "Alert",
    "AlertStep",
    "Answer",
    "AuditEntry",
    "CallbackRequest",
    "CheckIn",
    "Concern",
    "ConversationRun",
    "EnrolmentToken",
    "ExportChild",
    "ExportJob",
    "OutboxMessage",
    "Preferences",
    "ProcessedUpdate",
    "Reply",
    "ReplyRecipient",
    "ReplyText",
    "Staff",
    "StaffNotice",
    "StaffToken",
    "TrustedContact",
    "UTCDateTime",
    "WebSession",
    "YoungPerson",
    "utcnow",
    "when",
]
