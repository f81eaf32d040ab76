"""The settings of a Google Sheets hook, checked when the hook is created.

``spreadsheet`` (key or URL), ``worksheet``, ``credentials`` (path of a
service-account key file), optional ``columns``, ``new_fields`` and
``api_endpoint``. Loading normalises them: the spreadsheet becomes its key
and the key file path absolute, so every worker reads the same thing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from marshmallow import (
    RAISE,
    Schema,
    ValidationError,
    fields,
    post_load,
    validate,
    validates,
)

from connector.catalogue import EVENT_KEYS, get_event_type
from connector.errors import ConfigError, InvalidInputError
from connector.mapper import pattern_matches
from connectors.sheets.columns import path_problem
from connectors.sheets.credentials import load_service_account
from connectors.sheets.table import NEW_FIELD_POLICIES, normalise
from connectors.sheets.values import KINDS

GOOGLE_ENDPOINT = "https://sheets.googleapis.com"
DEFAULT_WORKSHEET = "Events"

# Google's spreadsheet ids are 44 characters of this alphabet; a short one is
# more likely a spreadsheet's title pasted by mistake.
KEY = re.compile(r"^[A-Za-z0-9_-]{20,}$")
URL_KEY = re.compile(r"/spreadsheets/d/([A-Za-z0-9_-]+)")
OLD_URL_KEY = re.compile(r"[?&]key=([A-Za-z0-9_-]+)")
PATH = re.compile(r"^[A-Za-z_$][\w$-]*(\.[\w$-]+)*$")

# Sheets' own limits: a tab name of 100 characters, 18,278 columns.
MAX_WORKSHEET_CHARS = 100
MAX_COLUMNS = 500


def spreadsheet_key(text: str) -> str:
    """Return the key of a spreadsheet given by key or by URL.

    Raises:
        ValidationError: saying what a key or URL looks like.
    """
    text = text.strip()
    if text.startswith(("http://", "https://")):
        found = URL_KEY.search(text) or OLD_URL_KEY.search(text)
        if found:
            return found.group(1)
        raise ValidationError(
            f"{text!r} has no spreadsheet key in it. Copy the address of the "
            "open spreadsheet, https://docs.google.com/spreadsheets/d/<key>/edit."
        )

    if not KEY.match(text):
        raise ValidationError(
            f"{text!r} is not a spreadsheet key. Give the key (the long part "
            "after /spreadsheets/d/ in the spreadsheet's address) or the address."
        )

    return text


class SpreadsheetField(fields.String):
    """A spreadsheet key or URL, loaded as the key."""

    def _deserialize(
        self, value: Any, attr: str | None, data: Any, **kwargs: Any
    ) -> str:
        return spreadsheet_key(super()._deserialize(value, attr, data, **kwargs))


class KeyFileField(fields.String):
    """The path of a service-account key file, loaded absolute once checked."""

    def _deserialize(
        self, value: Any, attr: str | None, data: Any, **kwargs: Any
    ) -> str:
        path = super()._deserialize(value, attr, data, **kwargs)
        try:
            return load_service_account(path).path
        except ConfigError as exc:
            raise ValidationError(str(exc)) from exc


class ColumnSchema(Schema):
    """One column: ``header``, dotted ``path`` and an optional ``type``."""

    class Meta:
        unknown = RAISE

    header = fields.String(
        required=True,
        validate=validate.Length(min=1, max=200, error="Use 1 to 200 characters."),
    )
    path = fields.String(
        required=True,
        validate=validate.Regexp(
            PATH,
            error="Give a dotted path into the event, such as data.learner.email.",
        ),
    )
    type = fields.String(
        load_default="auto",
        validate=validate.OneOf(KINDS, error="Use one of: " + ", ".join(KINDS) + "."),
    )

    @validates("header")
    def _check_header(self, value: str, **_: Any) -> None:
        if not value.strip():
            raise ValidationError("A header needs some text; it names the column.")


class SheetsSettingsSchema(Schema):
    """Where rows go, as whom, and which columns they fill."""

    class Meta:
        unknown = RAISE

    spreadsheet = SpreadsheetField(required=True)
    worksheet = fields.String(
        load_default=DEFAULT_WORKSHEET,
        validate=validate.Length(
            min=1,
            max=MAX_WORKSHEET_CHARS,
            error="Give the tab's name, 1 to 100 characters.",
        ),
    )
    credentials = KeyFileField(required=True)
    columns = fields.List(
        fields.Nested(ColumnSchema),
        load_default=None,
        allow_none=True,
        validate=validate.Length(
            min=1,
            max=MAX_COLUMNS,
            error="Give 1 to 500 columns, or leave columns out for the default set.",
        ),
    )
    new_fields = fields.String(
        load_default="append",
        validate=validate.OneOf(
            NEW_FIELD_POLICIES,
            error="Use 'append' (add a column at the right), 'ignore' or 'refuse'.",
        ),
    )
    api_endpoint = fields.Url(
        load_default=GOOGLE_ENDPOINT,
        schemes={"http", "https"},
        require_tld=False,
        error_messages={"invalid": "Give an http:// or https:// URL."},
    )

    @validates("worksheet")
    def _check_worksheet(self, value: str, **_: Any) -> None:
        if not value.strip():
            raise ValidationError("Give the tab's name; blank names are not allowed.")

    @validates("columns")
    def _check_columns(self, value: list[dict[str, str]] | None, **_: Any) -> None:
        seen: dict[str, int] = {}
        problems: dict[int, dict[str, list[str]]] = {}
        for index, column in enumerate(value or []):
            earlier = seen.setdefault(normalise(column["header"]), index)
            if earlier != index:
                problems[index] = {
                    "header": [
                        f"{column['header']!r} is also the header of column "
                        f"{earlier}; each column needs its own header."
                    ]
                }

        if problems:
            raise ValidationError(problems)

    @validates("api_endpoint")
    def _check_endpoint(self, value: str, **_: Any) -> None:
        parts = urlsplit(value)
        if parts.query or parts.fragment:
            raise ValidationError(
                "Give the server's base URL alone, without ?query or #fragment."
            )

    @post_load
    def _normalise(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        data["worksheet"] = data["worksheet"].strip()
        data["api_endpoint"] = data["api_endpoint"].rstrip("/")
        return data


def check_column_paths(settings: Mapping[str, Any], events: Sequence[str]) -> None:
    """Refuse columns whose path no event type of the hook has.

    Args:
        settings: Validated settings.
        events: The hook's event patterns, such as ``["quiz.*"]``.

    Raises:
        InvalidInputError: naming ``settings.columns.<n>.path`` and the fields
            that do exist there.
    """
    columns = settings.get("columns") or []
    keys = [key for key in EVENT_KEYS if any(pattern_matches(p, key) for p in events)]
    if not columns or not keys:
        return

    samples = {key: get_event_type(key).sample for key in keys}
    problems = {}
    for index, column in enumerate(columns):
        reason = path_problem(column["path"], samples)
        if reason:
            problems[f"settings.columns.{index}.path"] = [reason]

    if problems:
        raise InvalidInputError(
            "Some columns of the 'sheets' hook point at fields its events do not have.",
            problems,
        )
