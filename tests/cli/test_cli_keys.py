from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from connector.cli import main
from connector.errors import AuthError
from connector.hub import Hub
from connector.keys import authenticate, list_keys
from connector.store import open_database


def _run(database_url: str, *args: str) -> Result:
    return CliRunner().invoke(main, ["--database-url", database_url, *args])


def test_keys_create_prints_only_the_key(hub: Hub, database_url: str):
    result = _run(database_url, "keys", "create", "--organisation", "org_new")

    lines = result.stdout.splitlines()
    assert result.exit_code == 0
    assert len(lines) == 1
    assert lines[0].startswith("ehk_")
    assert authenticate(hub.database, lines[0]) == "org_new"


def test_keys_create_reads_the_database_from_the_environment(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'env.db'}"

    result = CliRunner().invoke(
        main,
        ["keys", "create", "-o", "org_env"],
        env={"EVENTHUB_DATABASE_URL": url},
    )
    database = open_database(url)
    try:
        organisation = authenticate(database, result.stdout.strip())
    finally:
        database.dispose()

    assert result.exit_code == 0
    assert organisation == "org_env"


def test_keys_create_keeps_stdout_clean_in_a_real_process(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'real.db'}"

    finished = subprocess.run(
        [sys.executable, "-m", "connector.cli", "--database-url", url]
        + ["keys", "create", "--organisation", "org_real", "--name", "ci"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )

    assert finished.returncode == 0
    assert finished.stdout.count("\n") == 1
    assert finished.stdout.startswith("ehk_")
    assert finished.stdout.strip() not in finished.stderr


def test_keys_list_shows_the_prefix_not_the_key(hub: Hub, database_url: str):
    key = _run(database_url, "keys", "create", "-o", "org_a").stdout.strip()

    result = _run(database_url, "keys", "list")

    assert result.exit_code == 0
    assert "org_a" in result.stdout
    assert key[:8] + "…" in result.stdout
    assert key not in result.stdout
    assert key[:12] not in result.stdout


def test_keys_list_filters_by_organisation(hub: Hub, database_url: str):
    _run(database_url, "keys", "create", "-o", "org_a")
    _run(database_url, "keys", "create", "-o", "org_b")

    result = _run(database_url, "keys", "list", "--organisation", "org_b")

    assert result.exit_code == 0
    assert "org_b" in result.stdout
    assert "org_a" not in result.stdout


def test_keys_revoke_stops_a_key_working(hub: Hub, database_url: str):
    key = _run(database_url, "keys", "create", "-o", "org_a").stdout.strip()
    key_id = list_keys(hub.database, "org_a")[0].id

    result = _run(database_url, "keys", "revoke", key_id)

    assert result.exit_code == 0
    assert result.stdout == f"revoked {key_id}\n"
    with pytest.raises(AuthError, match="unknown or was revoked"):
        authenticate(hub.database, key)


def test_keys_revoke_of_an_unknown_id_fails_clearly(hub: Hub, database_url: str):
    result = _run(database_url, "keys", "revoke", "key_missing")

    assert result.exit_code == 1
    assert "No API key has the id 'key_missing'; see 'keys list'." in result.output
    assert "Traceback" not in result.output
