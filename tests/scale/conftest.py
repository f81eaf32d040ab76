"""Fixtures of the scale-out tests: PostgreSQL only, real child processes.

They need the database that ``.ci/run`` provides; set
``EVENTHUB_TEST_DATABASE_URL=postgresql+psycopg://user@host/db`` to run them.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.sink import Sink


@pytest.fixture
def pg_url(database_url: str) -> str:
    """The test database's URL; skips the test unless it is PostgreSQL."""
    if not database_url.startswith("postgresql"):
        pytest.skip(
            "scale-out runs on PostgreSQL: set EVENTHUB_TEST_DATABASE_URL="
            "postgresql+psycopg://user@host/db to run this test"
        )
    return database_url


@pytest.fixture
def second_sink() -> Iterator[Sink]:
    """Another receiving server, for a second target."""
    server = Sink().start()
    yield server
    server.stop()
