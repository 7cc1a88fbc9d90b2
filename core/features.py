"""Every feature that sends proactive messages or answers taps on them. Importing this module
registers their renderers and responders (core.proactive); the runtime imports it once."""

from __future__ import annotations

import core.checkin_messages
import core.reply_messages
import core.safeguarding  # noqa: F401
