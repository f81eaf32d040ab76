from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Column, MetaData, String, inspect, select, text
from sqlalchemy.exc import IntegrityError

from connector.store import Base, Database, Organisation, open_database


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    opened = open_database(database_url)
    yield opened
    opened.dispose()


def test_a_fresh_database_gets_every_table(database: Database):
    tables = set(inspect(database.engine).get_table_names())

    assert set(Base.metadata.tables) <= tables
    assert {
        "organisations",
        "api_keys",
        "events",
        "hooks",
        "hook_secrets",
        "deliveries",
        "attempts",
        "alembic_version",
    } <= tables


def test_the_database_records_the_newest_migration(database: Database):
    with database.engine.connect() as connection:
        context = MigrationContext.configure(connection)
        heads = context.get_current_heads()

    assert heads == ("0001",)


def test_an_upgrade_run_again_keeps_the_data(database: Database, database_url: str):
    with database.session() as session:
        session.add(Organisation(id="org_a", name="A", created_at=datetime(2024, 6, 1)))
    database.upgrade()
    database.upgrade()
    database.dispose()

    reopened = open_database(database_url)
    try:
        with reopened.session() as session:
            names = session.scalars(select(Organisation.name)).all()
    finally:
        reopened.dispose()

    assert names == ["A"]


def test_opening_without_upgrade_leaves_a_fresh_database_empty(database_url: str):
    unopened = open_database(database_url, upgrade=False)
    try:
        tables = inspect(unopened.engine).get_table_names()
    finally:
        unopened.dispose()

    assert "organisations" not in tables


def test_the_models_and_the_migrations_agree(database: Database):
    with database.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "compare_server_default": True}
        )
        differences = compare_metadata(context, Base.metadata)

    assert differences == []


def test_sqlite_runs_in_wal_mode_with_foreign_keys_on(database: Database):
    if not database.is_sqlite:
        pytest.skip("a SQLite setting")

    with database.engine.connect() as connection:
        journal = connection.execute(text("PRAGMA journal_mode")).scalar_one()
        foreign_keys = connection.execute(text("PRAGMA foreign_keys")).scalar_one()

    assert journal == "wal"
    assert foreign_keys == 1


def test_sqlite_refuses_a_row_pointing_at_no_organisation(database: Database):
    if not database.is_sqlite:
        pytest.skip("a SQLite setting")

    insert = text(
        "INSERT INTO api_keys (id, organisation_id, key_hash, prefix, name, "
        "created_at) VALUES ('k', 'org_missing', 'h', 'p', '', '2024-06-01')"
    )

    with (
        pytest.raises(IntegrityError, match="FOREIGN KEY constraint failed"),
        database.engine.begin() as connection,
    ):
        connection.execute(insert)


def test_the_comparison_notices_a_column_the_migrations_lack(database: Database):
    changed = MetaData()
    for table in Base.metadata.tables.values():
        table.to_metadata(changed)
    changed.tables["hooks"].append_column(Column("colour", String(20)))

    with database.engine.connect() as connection:
        context = MigrationContext.configure(connection)
        differences = compare_metadata(context, changed)

    assert [(d[0], d[2], d[3].name) for d in differences] == [
        ("add_column", "hooks", "colour")
    ]
