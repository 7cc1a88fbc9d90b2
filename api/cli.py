"""The `sayso` command."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import getpass
import logging
import os
import signal
import sys
from collections.abc import AsyncIterator

import uvicorn
from fastapi import FastAPI
from pydantic import ValidationError

from api.app import create_app
from api.check import check
from api.jobs import periodic_jobs, start_scheduler
from api.runtime import Runtime, build_runtime, settle_memory
from api.telegram import start_bot
from core.config import Settings
from core.content import ContentError, load_library
from core.screening import load_lexicon
from core.staff import StaffError, create_staff

log = logging.getLogger("sayso")

NO_TOKEN = """No Telegram token is set, so the bot is off. Everything else is running.
To connect the bot: message @BotFather on Telegram, send /newbot, copy the token, then
stop this (Ctrl+C) and run:  SAYSO_TELEGRAM_TOKEN=<your token> make run"""


async def serve(settings: Settings, *, bot: bool = True, jobs: bool = True) -> None:
    """The HTTP API (and the Telegram webhook); with `bot` polling too, with `jobs` the clock."""
    runtime = await build_runtime(settings)
    app = create_app(runtime)
    app.router.lifespan_context = _lifespan(runtime, bot=bot, jobs=jobs)
    settle_memory()
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_level="info",
        # Forwarded headers only from SAYSO_TRUSTED_PROXIES: uvicorn's default believes any
        # client on this machine, so X-Forwarded-For would choose the address we rate-limit.
        proxy_headers=bool(settings.proxies),
        forwarded_allow_ips=settings.proxies,
    )
    await uvicorn.Server(config).serve()


def _lifespan(runtime: Runtime, *, bot: bool, jobs: bool):  # type: ignore[no-untyped-def]
    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        scheduler = start_scheduler(periodic_jobs(runtime)) if jobs else None
        # Webhook mode: the API receives updates, so it also sets the webhook.
        polling = await start_bot(runtime) if bot or runtime.settings.webhook_url else None
        base = f"http://{runtime.settings.host}:{runtime.settings.port}"
        log.info("sayso is running at %s (health: %s/health, API docs: %s/docs)", base, base, base)
        # Whoever started the service can try every conversation at once, before any staff
        # account exists; the key works for the preview only, and only in this process.
        log.info(
            "Try the conversations as a child would (staff preview, nothing is saved): "
            "%s/preview#key=%s",
            runtime.settings.public_address,
            runtime.preview_key,
        )
        if runtime.bot is None:
            log.warning(NO_TOKEN)
        try:
            yield
        finally:
            if scheduler is not None:
                scheduler.shutdown(wait=False)
            if polling is not None:
                await polling.stop()
            await runtime.close()

    return lifespan


async def _until_signal() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()


async def poll(settings: Settings) -> None:
    """The Telegram bot alone, polling (the scaled-out shape without a webhook)."""
    if settings.webhook_url:
        raise StaffError("with SAYSO_WEBHOOK_URL set, updates arrive at `sayso api`; run that")
    runtime = await build_runtime(settings)
    if runtime.bot is None:
        await runtime.close()
        raise StaffError("the bot needs a token: set SAYSO_TELEGRAM_TOKEN")
    settle_memory()
    polling = await start_bot(runtime)
    log.info("sayso bot started: polling Telegram for updates")
    try:
        await _until_signal()
    finally:
        if polling is not None:
            await polling.stop()
        await runtime.close()


async def work(settings: Settings) -> None:
    """The outbox worker and the periodic jobs alone (the scaled-out shape); until a signal."""
    runtime = await build_runtime(settings)
    if runtime.bot is None:
        await runtime.close()
        raise StaffError("the worker sends through the bot: set SAYSO_TELEGRAM_TOKEN")
    settle_memory()
    scheduler = start_scheduler(periodic_jobs(runtime))
    log.info("sayso worker started: outbox delivery and periodic jobs")
    try:
        await _until_signal()
    finally:
        scheduler.shutdown(wait=False)
        # A tick in progress hands back the rows it has not started before the engine closes.
        running = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)
        await runtime.close()


async def migrate_only(settings: Settings) -> None:
    runtime = await build_runtime(settings)
    await runtime.close()


async def create_admin(settings: Settings, *, email: str, name: str, password: str) -> str:
    """The new admin's email, as it is stored (normalised)."""
    runtime = await build_runtime(settings)
    try:
        async with runtime.sessionmaker() as session:
            staff = await create_staff(
                session, email=email, name=name, role="admin", password=password
            )
            await session.commit()
            return staff.email
    finally:
        await runtime.close()


def _password() -> str:
    """From SAYSO_ADMIN_PASSWORD (for scripts), else asked for twice without echo."""
    given = os.environ.get("SAYSO_ADMIN_PASSWORD")
    if given:
        return given
    first = getpass.getpass("Password (at least 12 characters): ")
    if first != getpass.getpass("The same password again: "):
        raise StaffError("the two passwords are different")
    return first


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="sayso", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("serve", help="run the API, the bot and the scheduler in one process")
    commands.add_parser("api", help="run the HTTP API (and the Telegram webhook) alone")
    commands.add_parser("bot", help="run the Telegram bot alone, polling for updates")
    commands.add_parser("worker", help="run the outbox worker and periodic jobs alone")
    commands.add_parser("migrate", help="create or upgrade the database schema")
    commands.add_parser("check-content", help="validate content/*.yaml and exit")
    commands.add_parser(
        "check", help="check content, safeguarding files and the screening model, and exit"
    )
    admin = commands.add_parser("create-admin", help="create an admin account (the first one)")
    admin.add_argument("--email", required=True)
    admin.add_argument("--name", required=True)
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        settings = Settings()
        if args.command == "check-content":
            library = load_library(settings.content_dir)
            print(f"content is valid: {len(library.conversations)} conversations")
            lexicon = load_lexicon(settings.safeguarding_dir)
            print(f"safeguarding lexicon is valid: {len(lexicon.categories)} categories")
        elif args.command == "check":
            return check(settings)
        elif args.command == "worker":
            asyncio.run(work(settings))
        elif args.command == "api":
            asyncio.run(serve(settings, bot=False, jobs=False))
        elif args.command == "bot":
            asyncio.run(poll(settings))
        elif args.command == "migrate":
            asyncio.run(migrate_only(settings))
        elif args.command == "create-admin":
            password = _password()
            email = asyncio.run(
                create_admin(settings, email=args.email, name=args.name, password=password)
            )
            print(f"admin {email} created; sign in with POST /auth/token")
        else:
            asyncio.run(serve(settings))
    except ContentError as error:
        print("sayso cannot start: the content has mistakes:", file=sys.stderr)
        for problem in error.problems:
            print(f"  {problem}", file=sys.stderr)
        return 2
    except ValidationError as error:
        print("sayso cannot start: a setting is wrong:", file=sys.stderr)
        for problem in error.errors():
            name = "SAYSO_" + "_".join(str(p) for p in problem["loc"]).upper()
            print(f"  {name}: {problem['msg']}", file=sys.stderr)
        return 2
    except StaffError as error:
        print(f"sayso: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
