"""Waking workers the moment PostgreSQL commits new deliveries.

On PostgreSQL, ``eventhub web`` and ``eventhub worker`` are separate
processes, often on separate machines, so ingest cannot wake the workers
through memory. Polling would put the poll interval between a ``202`` and the
first attempt, so ingest sends a ``NOTIFY`` inside its transaction
(PostgreSQL delivers it only if and when the transaction commits) and every
worker process keeps one dedicated connection that ``LISTEN``s and wakes a
delivery thread per notification. Polling stays as the safety net: a
notification lost while the listening connection was down costs one poll
interval, never a delivery, because the rows themselves are the queue.

See https://www.postgresql.org/docs/current/sql-notify.html.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

from connector.store import Database

logger = logging.getLogger(__name__)

CHANNEL = "eventhub_deliveries"

# How long one wait for notifications lasts before checking for a stop.
WAIT_SECONDS = 1.0
# An idle listening connection is checked this often, so that one silently
# dropped (a restarted server, a firewall's idle timeout) is noticed.
CHECK_SECONDS = 30.0
# Pause before connecting again after the connection failed.
RECONNECT_SECONDS = 2.0


def notify_workers(database: Database, session: Session | Connection) -> None:
    """Queue a wake-up for every listening worker, sent when ``session`` commits.

    Does nothing on SQLite, where the embedded mode wakes its workers in
    memory.
    """
    if database.is_sqlite:
        return

    session.execute(text("SELECT pg_notify(:channel, '')"), {"channel": CHANNEL})


def can_listen(database: Database) -> bool:
    """Whether ``database`` is PostgreSQL through psycopg 3, which can LISTEN."""
    dialect = database.engine.dialect
    return dialect.name == "postgresql" and dialect.driver == "psycopg"


class PgListener:
    """A thread that turns notifications on :data:`CHANNEL` into wake-ups.

    Args:
        database: The store; its URL and driver options are reused.
        wake: Called once per notification, from the listener thread.
    """

    def __init__(self, database: Database, wake: Any) -> None:
        self.database = database
        self.wake = wake
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name="pg-listener", daemon=True
        )

    def start(self) -> None:
        """Start listening in the background."""
        self._thread.start()

    def stop(self) -> None:
        """Stop listening and close the connection."""
        self._stop.set()
        self._thread.join(timeout=WAIT_SECONDS * 3)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._listen()
            except Exception as exc:
                logger.warning(
                    "listening for new deliveries failed (%s); polling until "
                    "the connection is back",
                    type(exc).__name__,
                )
                self._stop.wait(RECONNECT_SECONDS)

    def _listen(self) -> None:
        engine = self.database.engine
        arguments, options = engine.dialect.create_connect_args(engine.url)
        with engine.dialect.loaded_dbapi.connect(
            *arguments, **options, autocommit=True
        ) as connection:
            connection.execute(f"LISTEN {CHANNEL}")
            logger.debug("listening for new deliveries on %s", CHANNEL)
            # Anything committed while no one listened is picked up now.
            self.wake()

            checked = time.monotonic()
            while not self._stop.is_set():
                for _ in connection.notifies(timeout=WAIT_SECONDS):
                    self.wake()
                    checked = time.monotonic()
                    if self._stop.is_set():
                        return

                if time.monotonic() - checked > CHECK_SECONDS:
                    connection.execute("SELECT 1")
                    checked = time.monotonic()
