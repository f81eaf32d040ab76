"""Engine and session set-up for SQLite and PostgreSQL, and schema upgrades.

SQLite is the embedded default. It runs in WAL mode so readers never block the
writer, and every transaction starts with ``BEGIN IMMEDIATE``: a deferred
transaction that reads and then writes can fail at once with "database is
locked" when another writer got there first, whereas an immediate one simply
waits for the lock (up to ``busy_timeout``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import (
    DateTime,
    String,
    create_engine,
    event,
    literal_column,
    select,
    text,
)
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql import ColumnElement

from connector.errors import ConfigError

logger = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).parent / "migrations"

# Two threads opening the same database at once must not both migrate it.
_upgrade_lock = threading.Lock()


class Database:
    """An engine, a session factory and the database's own clock.

    Args:
        url: A SQLAlchemy URL, e.g. ``sqlite:///eventhub.db`` or
            ``postgresql+psycopg://user@host/db``.
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = _create_engine(url)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        self.schema_revisions: tuple[str | None, str | None] | None = None
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        # A lone read on PostgreSQL needs no transaction around it, and
        # leaving it out saves the BEGIN and COMMIT round trips.
        self._reader = (
            self.engine
            if self.is_sqlite
            else self.engine.execution_options(isolation_level="AUTOCOMMIT")
        )
        #: The database's clock as a column, to read it in a query that runs
        #: anyway; :meth:`as_time` turns its value into a ``datetime``.
        self.clock = clock(self.engine.dialect.name)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session whose transaction commits on success, rolls back on error."""
        with self._sessions() as session, session.begin():
            yield session

    @contextmanager
    def connection(self) -> Iterator[Connection]:
        """A connection in a transaction, without the ORM's per-session cost.

        For the paths that run on every request or batch and need no objects.
        """
        with self.engine.begin() as connection:
            yield connection

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        """A connection for reads only, outside a transaction where it can be."""
        with self._reader.connect() as connection:
            yield connection

    def now(self, session: Session | Connection) -> datetime:
        """The database's current time, as naive UTC.

        Leases and due times are compared against this, never a worker's own
        clock, so workers on machines whose clocks drift still agree.
        """
        return self.as_time(session.execute(select(self.clock)).scalar_one())

    def as_time(self, value: Any) -> datetime:
        """A value of :attr:`clock` as a naive UTC ``datetime``."""
        return datetime.fromisoformat(value) if self.is_sqlite else value

    def upgrade(self) -> None:
        """Bring the schema up to the newest migration.

        Keeps the revision found (``None`` on an empty database) and the one
        left in :attr:`schema_revisions`, so ``db upgrade`` can say what it did.
        """
        with _upgrade_lock:
            config = Config()
            config.set_main_option("script_location", str(MIGRATIONS))
            with self.engine.begin() as connection:
                if not self.is_sqlite:
                    # Processes on several machines may start together; the
                    # lock makes the second wait and then find nothing to do.
                    connection.execute(
                        text("SELECT pg_advisory_xact_lock(hashtext('eventhub'))")
                    )
                config.attributes["connection"] = connection
                found = _revision(connection)
                command.upgrade(config, "head")
                left = _revision(connection)

            self.schema_revisions = (found, left)
            logger.debug("database schema is up to date at revision %s", left)

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()


def _revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def clock(dialect: str) -> ColumnElement[Any]:
    """The current time on a database of ``dialect``, as a column.

    Naive UTC on PostgreSQL; on SQLite, text for :meth:`Database.as_time`.
    """
    if dialect == "sqlite":
        return literal_column("strftime('%Y-%m-%d %H:%M:%f', 'now')", String)
    return literal_column("clock_timestamp() AT TIME ZONE 'UTC'", DateTime)


def open_database(url: str, upgrade: bool = True) -> Database:
    """Open the database at ``url``, upgrading its schema first by default."""
    database = Database(url)
    if upgrade:
        database.upgrade()

    return database


def _create_engine(url: str) -> Engine:
    if "://" in url and url.split("://", 1)[1].split("/", 1)[0].count("@") > 1:
        # Read as written, part of the password would be taken for the host
        # and shown back in the driver's error.
        raise ConfigError(
            "The database URL holds '@' more than once before the host; write "
            "an '@' in the user name or password as %40."
        )

    try:
        # Values bound to a failing statement (a hook's secret, its headers)
        # must not ride into the logs on the error.
        if url.startswith("sqlite"):
            return _create_sqlite_engine(url)

        return create_engine(
            url,
            pool_size=10,
            max_overflow=20,
            pool_pre_ping=True,
            hide_parameters=True,
        )
    except Exception as exc:  # SQLAlchemy raises several types for a bad URL
        raise ConfigError(
            f"Cannot use the database URL {redact(url)!r}: {exc}. Set "
            "EVENTHUB_DATABASE_URL to e.g. sqlite:///eventhub.db or "
            "postgresql+psycopg://user@host/dbname."
        ) from exc


def _create_sqlite_engine(url: str) -> Engine:
    engine = create_engine(
        url,
        connect_args={"timeout": 30, "check_same_thread": False},
        hide_parameters=True,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        # Let SQLAlchemy's begin event decide when a transaction starts.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        # NORMAL in WAL mode is durable against a process crash; only a power
        # loss can take the last commits, and it never corrupts the file.
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):  # type: ignore[no-untyped-def]
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def redact(url: str) -> str:
    """Hide a password in a database URL before it goes into a message.

    Both places a password can be written are masked: after the user name,
    and as a query parameter (``password``, ``sslpassword`` and the like).
    """
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        return url if "@" not in url else "<not shown: it cannot be parsed>"

    query = {
        name: "***" if _secret_word(name) else value
        for name, value in parsed.query.items()
    }
    shown = parsed.set(query=query).render_as_string(hide_password=True)
    return shown.replace("%2A%2A%2A", "***")


def _secret_word(name: str) -> bool:
    lowered = name.lower()
    return any(word in lowered for word in ("password", "passwd", "secret"))
