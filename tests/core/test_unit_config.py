from __future__ import annotations

import pytest

from connector.config import DEFAULT_DATABASE_URL, Settings, from_environment
from connector.errors import ConfigError


def test_an_empty_environment_gives_the_defaults():
    settings = from_environment({})

    assert settings == Settings()
    assert settings.database_url == DEFAULT_DATABASE_URL
    assert settings.allow_private_targets is False


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1", True),
        ("0", False),
        ("true", True),
        ("false", False),
        ("TRUE", True),
        (" yes ", True),
        ("off", False),
    ],
)
def test_yes_no_variables_are_read(raw: str, expected: bool):
    settings = from_environment({"EVENTHUB_ALLOW_PRIVATE_TARGETS": raw})

    assert settings.allow_private_targets is expected


def test_numbers_and_text_are_read():
    environ = {
        "EVENTHUB_WORKERS": "3",
        "EVENTHUB_LEASE_SECONDS": "2.5",
        "EVENTHUB_DATABASE_URL": "sqlite:///elsewhere.db",
        "EVENTHUB_LOG_LEVEL": "DEBUG",
    }

    settings = from_environment(environ)

    assert settings.workers == 3
    assert settings.lease_seconds == 2.5
    assert settings.database_url == "sqlite:///elsewhere.db"
    assert settings.log_level == "DEBUG"


def test_other_variables_are_ignored():
    settings = from_environment({"EVENTHUB_UNKNOWN": "x", "PATH": "/bin"})

    assert settings == Settings()


def test_a_bad_yes_no_value_names_the_variable():
    environ = {"EVENTHUB_ALLOW_PRIVATE_TARGETS": "maybe"}

    with pytest.raises(
        ConfigError, match=r"EVENTHUB_ALLOW_PRIVATE_TARGETS='maybe' is not a yes/no"
    ):
        from_environment(environ)


@pytest.mark.parametrize("raw", ["many", "2.5", ""])
def test_a_bad_whole_number_names_the_variable(raw: str):
    with pytest.raises(ConfigError, match=r"EVENTHUB_WORKERS=.* is not a whole number"):
        from_environment({"EVENTHUB_WORKERS": raw})


def test_a_bad_number_names_the_variable():
    with pytest.raises(
        ConfigError, match=r"EVENTHUB_POLL_SECONDS='soon' is not a number"
    ):
        from_environment({"EVENTHUB_POLL_SECONDS": "soon"})


@pytest.mark.parametrize("raw", ["nan", "inf", "-inf", "Infinity"])
@pytest.mark.parametrize(
    "name",
    ["EVENTHUB_LEASE_SECONDS", "EVENTHUB_POLL_SECONDS", "EVENTHUB_GRACEFUL_SECONDS"],
)
def test_a_number_that_is_not_finite_names_the_variable(name: str, raw: str):
    with pytest.raises(ConfigError, match=rf"{name}=.* is not a finite number"):
        from_environment({name: raw})


@pytest.mark.parametrize(
    ("name", "raw"),
    [
        ("EVENTHUB_WORKERS", "9" * 400),
        ("EVENTHUB_MAX_BODY_BYTES", "9" * 400),
        ("EVENTHUB_LEASE_SECONDS", "1e300"),
        ("EVENTHUB_GRACEFUL_SECONDS", "1e300"),
    ],
)
def test_a_number_far_too_large_names_the_variable(name: str, raw: str):
    with pytest.raises(
        ConfigError, match=rf"{name}=.* is too large; it must be at most"
    ):
        from_environment({name: raw})


def test_the_process_environment_is_read_by_default(
    monkeypatch: pytest.MonkeyPatch,
):
    monkeypatch.setenv("EVENTHUB_WORKERS", "5")

    assert from_environment().workers == 5


def test_override_applies_values_and_ignores_none():
    settings = Settings(workers=4, database_url="sqlite:///a.db")

    changed = settings.override(workers=None, database_url="sqlite:///b.db")

    assert changed.workers == 4
    assert changed.database_url == "sqlite:///b.db"
    assert settings.database_url == "sqlite:///a.db"


def test_override_with_only_none_keeps_everything():
    settings = Settings(workers=4)

    assert settings.override(workers=None, log_level=None) == settings


@pytest.mark.parametrize(
    ("name", "raw"),
    [
        ("EVENTHUB_WORKERS", "0"),
        ("EVENTHUB_WORKERS", "-3"),
        ("EVENTHUB_BATCH_SIZE", "0"),
        ("EVENTHUB_WEB_PROCESSES", "0"),
        ("EVENTHUB_LEASE_SECONDS", "0"),
        ("EVENTHUB_POLL_SECONDS", "-1"),
        ("EVENTHUB_GRACEFUL_SECONDS", "-5"),
    ],
)
def test_a_count_or_time_below_its_least_names_the_variable(name: str, raw: str):
    with pytest.raises(ConfigError, match=f"{name}=.*too small; it must be at least"):
        from_environment({name: raw})


def test_an_unknown_log_level_lists_the_known_ones():
    with pytest.raises(ConfigError, match="EVENTHUB_LOG_LEVEL='LOUD'.*DEBUG, INFO"):
        from_environment({"EVENTHUB_LOG_LEVEL": "LOUD"})


def test_a_flag_is_held_to_the_same_rules():
    with pytest.raises(ConfigError, match="EVENTHUB_WORKERS=0"):
        Settings().override(workers=0)
