"""Settings from the environment, each overridable by a command-line flag."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from connector.errors import ConfigError

DEFAULT_DATABASE_URL = "sqlite:///eventhub.db"
TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off", ""})
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")

# Settings that count things or time spans, with the least and the most each
# may be: the most is far past any sensible value, and short of where timers
# and clocks overflow.
BOUNDS: dict[str, tuple[float, float]] = {
    "workers": (1, 1024),
    "batch_size": (1, 10_000),
    "web_processes": (1, 256),
    "web_threads": (1, 1024),
    "max_body_bytes": (1024, 1024**3),
    "lease_seconds": (1.0, 86_400.0),
    "poll_seconds": (0.01, 3_600.0),
    "graceful_seconds": (0.0, 86_400.0),
}


@dataclass(frozen=True)
class Settings:
    """How one eventhub process runs.

    Attributes:
        database_url: Where events and deliveries are kept.
        allow_private_targets: Deliver to loopback and private networks too;
            needed for local use and tests, unsafe on a shared server.
        workers: Delivery threads in this process.
        log_level: Python logging level name.
        lease_seconds: How long a claimed delivery stays with one worker; a
            worker that dies holding it loses it after this long.
        batch_size: The most deliveries one worker thread claims at a time;
            it claims fewer while little is due.
        poll_seconds: How long an idle worker sleeps before looking again;
            on PostgreSQL workers are woken by notifications, and polling
            only catches what those missed.
        max_body_bytes: Largest request body the API accepts.
        web_processes: Processes answering the API under ``eventhub web``.
        web_threads: Threads per web process.
        graceful_seconds: How long a stopping process waits for the
            requests and deliveries in flight.
    """

    database_url: str = DEFAULT_DATABASE_URL
    allow_private_targets: bool = False
    workers: int = 8
    log_level: str = "INFO"
    lease_seconds: float = 60.0
    batch_size: int = 64
    poll_seconds: float = 0.5
    max_body_bytes: int = 1024 * 1024
    web_processes: int = 2
    web_threads: int = 8
    graceful_seconds: float = 30.0

    def __post_init__(self) -> None:
        # Checked here, so that a value from a flag is held to the same
        # rules as one from the environment.
        if self.log_level.upper() not in LOG_LEVELS:
            raise ConfigError(
                f"EVENTHUB_LOG_LEVEL={self.log_level!r} is not a log level; use "
                f"one of {', '.join(LOG_LEVELS)}."
            )
        for name, (least, most) in BOUNDS.items():
            value = getattr(self, name)
            if isinstance(value, float) and not math.isfinite(value):
                raise ConfigError(
                    f"EVENTHUB_{name.upper()}={value!r} is not a finite number."
                )
            if value > most:
                raise ConfigError(
                    f"EVENTHUB_{name.upper()}={value!r} is too large; it must be "
                    f"at most {most}."
                )
            if value < least:
                raise ConfigError(
                    f"EVENTHUB_{name.upper()}={value!r} is too small; it must be "
                    f"at least {least}."
                )

    def override(self, **changes: Any) -> Settings:
        """A copy with every change that is not None applied."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


def from_environment(environ: Mapping[str, str] | None = None) -> Settings:
    """Read ``EVENTHUB_*`` variables; unset ones keep their defaults.

    Raises:
        ConfigError: naming the variable whose value cannot be used.
    """
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for field in fields(Settings):
        name = f"EVENTHUB_{field.name.upper()}"
        if name in environ:
            values[field.name] = _convert(name, environ[name], field.default)

    return Settings(**values)


def _convert(name: str, raw: str, default: object) -> object:
    text = raw.strip()
    if isinstance(default, bool):
        if text.lower() in TRUE_WORDS:
            return True
        if text.lower() in FALSE_WORDS:
            return False
        raise ConfigError(f"{name}={raw!r} is not a yes/no value; use 1 or 0.")

    try:
        if isinstance(default, int):
            return int(text)
        if isinstance(default, float):
            return float(text)
    except ValueError:
        kind = "a whole number" if isinstance(default, int) else "a number"
        raise ConfigError(f"{name}={raw!r} is not {kind}.") from None

    return text
