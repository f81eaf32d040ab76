"""Reading a Google service-account key file, without ever showing its secret.

A hook names its key file by path (DESIGN: credentials live on disk, never in
the database). The file is read when the hook is created, to refuse a wrong
path early, and again whenever it changes on disk, so a rotated key is used
without a restart. Messages name the file and the account, never the key.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from connector.errors import ConfigError

logger = logging.getLogger(__name__)

REQUIRED_KEYS = ("client_email", "private_key", "token_uri")

HOW_TO_GET_A_KEY = (
    "In the Google Cloud console open IAM & Admin > Service accounts, pick the "
    "account, then Keys > Add key > JSON, and give the path of the file saved."
)


@dataclass(frozen=True)
class ServiceAccount:
    """A service account as its key file describes it.

    Attributes:
        email: The account's address; the spreadsheet must be shared with it.
        path: The absolute path of the key file.
        version: The file's modification time, to notice a replaced key.
        info: The parsed file, for google-auth; holds the private key, so it
            is kept out of ``repr`` and never logged.
    """

    email: str
    path: str
    version: int
    info: dict[str, Any] = field(repr=False, compare=False)


def absolute_path(path: str) -> str:
    """Expand ``~`` and make ``path`` absolute, as it will be stored."""
    return str(Path(path).expanduser().absolute())


def load_service_account(path: str) -> ServiceAccount:
    """Read and check a service-account key file.

    Raises:
        ConfigError: naming the file and what to do when it is missing,
            unreadable, not JSON, or not a service-account key.
    """
    location = absolute_path(path)
    try:
        version = os.stat(location).st_mtime_ns
        text = Path(location).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"There is no file at {location!r}. {HOW_TO_GET_A_KEY}"
        ) from None
    except IsADirectoryError:
        raise ConfigError(
            f"{location!r} is a directory; give the path of the JSON key file in it."
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        # The OS reason (permission denied, ...) names no content of the file.
        reason = getattr(exc, "strerror", None) or type(exc).__name__
        raise ConfigError(
            f"The key file {location!r} cannot be read ({reason}); let the user "
            "eventhub runs as read it."
        ) from None

    try:
        info = json.loads(text)
    except json.JSONDecodeError as exc:
        # Only the position: the text around it could be part of the key.
        raise ConfigError(
            f"The key file {location!r} is not valid JSON (line {exc.lineno}); "
            f"download it again. {HOW_TO_GET_A_KEY}"
        ) from None

    return ServiceAccount(_email(info, location), location, version, info)


def _email(info: object, location: str) -> str:
    if not isinstance(info, dict) or info.get("type") != "service_account":
        kind = info.get("type") if isinstance(info, dict) else None
        shown = f"a {kind!r} file" if isinstance(kind, str) else "not a key file"
        raise ConfigError(
            f"The key file {location!r} is {shown}, not a service-account key "
            f'("type": "service_account"). {HOW_TO_GET_A_KEY}'
        )

    missing = [key for key in REQUIRED_KEYS if not info.get(key)]
    if missing:
        raise ConfigError(
            f"The key file {location!r} lacks {', '.join(missing)}; it may be cut "
            f"short. Download a new key. {HOW_TO_GET_A_KEY}"
        )

    return str(info["client_email"])
