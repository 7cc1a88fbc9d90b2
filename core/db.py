"""The database: an async engine for SQLite (WAL, the default) or PostgreSQL (asyncpg)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

from core.sqlite_inline import inline_creator

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    parsed = make_url(url)
    # A database error's text would carry the statement's parameters (a child's words, a
    # name) into the log that records it: errors name the statement, never the values.
    kwargs.setdefault("hide_parameters", True)
    if parsed.get_backend_name() != "sqlite":
        return create_async_engine(url, pool_pre_ping=True, **kwargs)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    # SQLite has one writer at a time. One pooled connection makes writers queue in asyncio,
    # in order, instead of sleeping in SQLite's busy handler (which adds 100 ms steps of delay).
    kwargs.setdefault("pool_size", 1)
    kwargs.setdefault("max_overflow", 0)
    kwargs.setdefault("pool_timeout", 60)
    if parsed.database and parsed.database != ":memory:":
        kwargs.setdefault("async_creator", inline_creator(parsed.database))
    engine = create_async_engine(url, **kwargs)
    _tune_sqlite(engine)
    return engine


def _tune_sqlite(engine: AsyncEngine) -> None:
    """WAL for concurrent readers; BEGIN IMMEDIATE so a transaction that writes never fails
    half-way with 'database is locked' after it has read (SQLite cannot upgrade a reader)."""

    @event.listens_for(engine.sync_engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in (
            "journal_mode=WAL",
            "synchronous=NORMAL",
            "foreign_keys=ON",
            "busy_timeout=10000",
        ):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def pending(session: AsyncSession) -> bool:
    """Whether a commit would do anything: an open transaction or a changed object. Saves an
    empty commit (a greenlet hop and the transaction machinery) when the turn committed already."""
    return session.in_transaction() or bool(session.dirty)


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


async def migrate(engine: AsyncEngine, revision: str = "head") -> None:
    """Bring the schema up to date, sharing the app's engine (works inside a running loop)."""

    def upgrade(connection: Connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, revision)

    if engine.dialect.name != "sqlite":
        async with engine.begin() as connection:
            await connection.run_sync(upgrade)
        return
    async with engine.connect() as connection:
        await connection.run_sync(_without_foreign_keys, upgrade)


def _without_foreign_keys(connection: Connection, work: Callable[[Connection], None]) -> None:
    """SQLite changes what ALTER TABLE cannot by copying a table and dropping the old one;
    with foreign keys on, the drop breaks every row that points at it. SQLite's own recipe:
    foreign keys off outside the transaction, rebuild, check every key, commit, on again."""
    driver = connection.connection.dbapi_connection
    assert driver is not None
    _pragma(driver, "foreign_keys=OFF")
    try:
        with connection.begin():
            work(connection)
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
            if broken:
                raise RuntimeError(f"the migration left rows pointing nowhere: {broken[:5]}")
    finally:
        _pragma(driver, "foreign_keys=ON")


def _pragma(driver: Any, pragma: str) -> None:
    """On the driver itself: SQLAlchemy would open a transaction first, where SQLite ignores
    a change of foreign_keys."""
    cursor = driver.cursor()
    cursor.execute(f"PRAGMA {pragma}")
    cursor.close()
