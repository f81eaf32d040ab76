from __future__ import annotations

from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.exc import SQLAlchemyError

from connector.cli import main
from connector.store import open_database


def _command_paths(group: click.Group, prefix: tuple[str, ...] = ()) -> list:
    paths = [prefix]
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            paths += _command_paths(command, (*prefix, name))
        else:
            paths.append((*prefix, name))
    return paths


COMMAND_PATHS = _command_paths(main)


def _tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_every_documented_command_exists():
    names = {" ".join(path) for path in COMMAND_PATHS}

    assert {
        "serve",
        "web",
        "worker",
        "emit",
        "listen",
        "demo",
        "db upgrade",
        "keys create",
        "keys list",
        "hooks create",
        "hooks list",
        "hooks update",
        "hooks test",
        "hooks rotate-secret",
        "deliveries list",
        "deliveries show",
        "deliveries replay",
        "event-types list",
        "event-types show",
    } <= names


@pytest.mark.parametrize("flag", ["--help", "-h"])
@pytest.mark.parametrize(
    "path", COMMAND_PATHS, ids=lambda path: " ".join(path) or "eventhub"
)
def test_every_command_has_help(path: tuple[str, ...], flag: str, tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'never.db'}"

    result = CliRunner().invoke(main, ["--database-url", url, *path, flag])

    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Usage: ")
    assert " ".join(("main", *path)) in result.stdout.splitlines()[0]
    assert not (tmp_path / "never.db").exists()


def test_the_version_is_shown():
    result = CliRunner().invoke(main, ["--version"])

    assert result.exit_code == 0
    assert result.stdout == "eventhub, version 0.1.0\n"


def test_db_upgrade_creates_the_schema(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'x.db'}"

    result = CliRunner().invoke(main, ["--database-url", url, "db", "upgrade"])

    assert result.exit_code == 0
    assert result.stdout == "Created the database schema at revision 0001.\n"
    assert {"organisations", "events", "hooks", "deliveries"} <= _tables(url)


def test_db_upgrade_twice_is_harmless(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'x.db'}"
    env = {"EVENTHUB_DATABASE_URL": url}

    first = CliRunner().invoke(main, ["db", "upgrade"], env=env)
    second = CliRunner().invoke(main, ["db", "upgrade"], env=env)

    assert first.exit_code == 0
    assert second.exit_code == 0
    assert (
        second.stdout == "The database schema is already up to date (revision 0001).\n"
    )
    assert "alembic_version" in _tables(url)


def test_a_bad_database_url_is_reported_without_a_traceback():
    result = CliRunner().invoke(main, ["--database-url", "nope://x", "db", "upgrade"])

    assert result.exit_code == 1
    assert "Cannot use the database URL 'nope://x'" in result.output
    assert "EVENTHUB_DATABASE_URL" in result.output
    assert "Traceback" not in result.output


def test_a_bad_environment_value_is_reported_without_a_traceback():
    result = CliRunner().invoke(
        main, ["event-types", "list"], env={"EVENTHUB_WORKERS": "lots"}
    )

    assert result.exit_code == 1
    assert "EVENTHUB_WORKERS='lots' is not a whole number." in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+psycopg://postgres:S3cretPW@127.0.0.1:1/x",
        "postgresql+psycopg://postgres@127.0.0.1:1/x?password=S3cretPW",
        "postgresql+psycopg://postgres:S3cretPW@127.0.0.1:abc/x",
        "postgresql+psycopg://postgres:S3c@retPW@127.0.0.1:1/x",
        "postgres@/x?host=/tmp&password=S3cretPW",
        "postgresql+psycopg://postgres@127.0.0.1:1/x?sslpassword=S3cretPW",
    ],
)
def test_a_database_password_never_shows_in_the_error(url: str):
    result = CliRunner().invoke(main, ["--database-url", url, "db", "upgrade"])

    assert result.exit_code == 1
    assert result.output.startswith("Error: ")
    assert "S3c" not in result.output
    assert "retPW" not in result.output
    assert "Traceback" not in result.output


def test_values_of_a_failing_statement_stay_out_of_its_error(tmp_path: Path):
    database = open_database(f"sqlite:///{tmp_path / 'x.db'}")

    query = text("SELECT :secret FROM no_such_table")
    with pytest.raises(SQLAlchemyError) as failure, database.connection() as connection:
        connection.execute(query, {"secret": "whsec_hidden"})

    assert "no_such_table" in str(failure.value)
    assert "whsec_hidden" not in str(failure.value)
