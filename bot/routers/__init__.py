"""One router per area; the dispatcher joins them in an order where catch-alls come last."""

from aiogram import Router

from bot.routers import commands, conversation, groups, unsupported


def build_routers() -> list[Router]:
    """Fresh routers each time: a router can belong to only one dispatcher."""
    return [groups.build(), commands.build(), conversation.build(), unsupported.build()]
