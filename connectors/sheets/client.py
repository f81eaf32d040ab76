"""Talking to the Sheets API as one service account, through gspread.

:class:`SheetsClient` wraps gspread's low-level :class:`~gspread.HTTPClient`
(the values and batchUpdate calls, nothing that lists Drive files) with three
changes:

- requests go to the hook's ``api_endpoint``: gspread builds Google's URLs
  itself, so :class:`RoutedHTTPClient` swaps the base before sending;
- every request first takes a slot from the account's rate limiter;
- there is no retry here. gspread's ``BackOffHTTPClient`` sleeps in the
  worker thread and, once its wait is capped at 128 s, passes its own limit
  check forever; the hub's own schedule retries instead, durably.

The access token comes from google-auth's service-account flow, against the
``token_uri`` of the key file.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable, MutableMapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from google.auth.transport.requests import AuthorizedSession
from google.oauth2 import service_account
from gspread.http_client import FileType, HTTPClient, ParamsType
from gspread.urls import SPREADSHEETS_API_V4_BASE_URL
from gspread.utils import absolute_range_name, rowcol_to_a1
from requests import Response

from connector.errors import PermanentDeliveryError, RetryableDeliveryError
from connectors.sheets.credentials import ServiceAccount
from connectors.sheets.errors import QuotaWaitError
from connectors.sheets.limiter import RateLimiter
from connectors.sheets.settings import GOOGLE_ENDPOINT
from connectors.sheets.values import CellValue, as_text

SCOPES = ("https://www.googleapis.com/auth/spreadsheets",)
CONNECT_TIMEOUT = 10.0

# gspread's URLs all start with Google's base; the rest is the API path.
GOOGLE_BASE = SPREADSHEETS_API_V4_BASE_URL.removesuffix("/v4/spreadsheets")

METADATA_FIELDS = "properties(title,timeZone),sheets.properties"
UPDATED_ROW = re.compile(r"![A-Z]+(\d+)")

# A new worksheet's size: Sheets' own default for a new tab.
NEW_SHEET_ROWS = 1000
NEW_SHEET_COLUMNS = 26


@dataclass(frozen=True)
class SheetInfo:
    """A worksheet's identity and width."""

    sheet_id: int
    title: str
    column_count: int


@dataclass(frozen=True)
class SpreadsheetInfo:
    """What the metadata call tells about a spreadsheet."""

    title: str
    time_zone: str
    sheets: dict[str, SheetInfo]


class RoutedHTTPClient(HTTPClient):
    """gspread's HTTP client, sent to another base URL and held to a limiter.

    Args:
        session: An authorised requests session.
        endpoint: The base URL to use instead of Google's.
        before_request: Called with the HTTP method before each request; it
            raises to stop the request.
    """

    def __init__(
        self,
        session: AuthorizedSession,
        endpoint: str,
        before_request: Callable[[str], None],
    ) -> None:
        super().__init__(auth=None, session=session)  # type: ignore[arg-type]
        self.endpoint = endpoint
        self.before_request = before_request

    def request(
        self,
        method: str,
        endpoint: str,
        params: ParamsType | None = None,
        data: bytes | None = None,
        json: Any = None,
        files: FileType = None,
        headers: MutableMapping[str, str] | None = None,
    ) -> Response:
        """Send one request to the routed endpoint, once."""
        if endpoint.startswith(GOOGLE_BASE + "/"):
            endpoint = self.endpoint + endpoint[len(GOOGLE_BASE) :]

        self.before_request(method)
        return super().request(
            method, endpoint, params, data, json, files=files, headers=headers
        )


class SheetsClient:
    """The few Sheets calls the connector makes, as one account.

    Args:
        account: The service account to act as.
        endpoint: The API's base URL, Google's or a stand-in's.
        limiter: The process-wide limiter to take slots from.
        timeout: Seconds to wait for an answer.
        max_wait: Seconds to wait for a limiter slot before giving up.
    """

    def __init__(
        self,
        account: ServiceAccount,
        endpoint: str,
        limiter: RateLimiter,
        *,
        timeout: float = 30.0,
        max_wait: float = 1.0,
    ) -> None:
        credentials = service_account.Credentials.from_service_account_info(
            account.info, scopes=SCOPES
        )
        self.account = account
        self.limiter = limiter
        self.max_wait = max_wait
        self.session = AuthorizedSession(credentials)
        self.http = RoutedHTTPClient(self.session, endpoint, self._take_slot)
        self.http.set_timeout((CONNECT_TIMEOUT, timeout))

    def spreadsheet(self, key: str) -> SpreadsheetInfo:
        """Read a spreadsheet's title, time zone and worksheets."""
        data = self.http.fetch_sheet_metadata(
            key, params={"includeGridData": "false", "fields": METADATA_FIELDS}
        )
        properties = data.get("properties", {})
        sheets = {}
        for sheet in data.get("sheets", []):
            info = _sheet_info(sheet["properties"])
            sheets[info.title] = info

        return SpreadsheetInfo(
            title=str(properties.get("title", "")),
            time_zone=str(properties.get("timeZone", "")),
            sheets=sheets,
        )

    def add_worksheet(self, key: str, title: str, columns: int) -> SheetInfo:
        """Create a worksheet wide enough for ``columns``, header row frozen."""
        grid = {
            "rowCount": NEW_SHEET_ROWS,
            "columnCount": max(NEW_SHEET_COLUMNS, columns),
            "frozenRowCount": 1,
        }
        body = {
            "requests": [
                {"addSheet": {"properties": {"title": title, "gridProperties": grid}}}
            ]
        }
        data = self.http.batch_update(key, body)
        return _sheet_info(data["replies"][0]["addSheet"]["properties"])

    def add_columns(self, key: str, sheet_id: int, count: int) -> None:
        """Widen a worksheet by ``count`` columns at the right."""
        request = {"sheetId": sheet_id, "dimension": "COLUMNS", "length": count}
        self.http.batch_update(key, {"requests": [{"appendDimension": request}]})

    def read_header(self, key: str, title: str) -> list[str]:
        """Read row 1 as text, trailing blanks dropped."""
        data = self.http.values_get(key, absolute_range_name(title, "1:1"))
        rows = data.get("values") or [[]]
        return [str(cell) for cell in rows[0]]

    def read_column(self, key: str, title: str, column: int) -> list[str]:
        """Read one column below the header as text (``column`` is 1-based)."""
        letter = _letter(column)
        data = self.http.values_get(
            key,
            absolute_range_name(title, f"{letter}2:{letter}"),
            params={"majorDimension": "COLUMNS"},
        )
        columns = data.get("values") or [[]]
        return [str(cell) for cell in columns[0]]

    def write_header(
        self, key: str, title: str, first_column: int, headers: Sequence[str]
    ) -> None:
        """Write header cells into row 1 from ``first_column`` (1-based) on."""
        last = first_column + len(headers) - 1
        cells = f"{rowcol_to_a1(1, first_column)}:{rowcol_to_a1(1, last)}"
        self.http.values_update(
            key,
            absolute_range_name(title, cells),
            params={"valueInputOption": "USER_ENTERED"},
            body={"majorDimension": "ROWS", "values": [[as_text(h) for h in headers]]},
        )

    def append(
        self, key: str, title: str, width: int, rows: Sequence[Sequence[CellValue]]
    ) -> dict[str, Any]:
        """Append ``rows`` below the table whose header is row 1.

        The table range is the header row from column A: Google then looks
        for the table there and appends under it, starting in column A. With
        a sheet name alone it picks whatever "table" it finds, and rows can
        land beside the data (gspread issues #537, #828). ``INSERT_ROWS``
        inserts fresh rows, so notes a person keeps below are pushed down,
        never overwritten.

        Returns:
            Google's ``updates`` summary, with the ``updatedRange``.
        """
        table = absolute_range_name(title, f"A1:{_letter(width)}1")
        data = self.http.values_append(
            key,
            table,
            params={
                "valueInputOption": "USER_ENTERED",
                "insertDataOption": "INSERT_ROWS",
            },
            body={"majorDimension": "ROWS", "values": [list(row) for row in rows]},
        )
        return dict(data.get("updates") or {})

    def close(self) -> None:
        """Close pooled connections."""
        self.session.close()

    def _take_slot(self, method: str) -> None:
        kind = "read" if method.upper() == "GET" else "write"
        wait = self.limiter.acquire(f"{self.account.email} {kind}", self.max_wait)
        if wait:
            raise QuotaWaitError(
                f"Not sent yet: the Sheets {kind} quota of {self.account.email} "
                f"({self.limiter.limit} per {self.limiter.period:g} s) is in use; "
                f"will try in {wait:.0f} s.",
                retry_after=wait,
            )


def check_endpoint(endpoint: str, allow_private: bool) -> None:
    """Refuse to send a Google access token anywhere but Google or a stand-in.

    A stand-in server is for tests and local use: it must be on a loopback or
    private address, and the operator must allow private targets. A public
    host that is not Google's would receive the account's token.

    Raises:
        PermanentDeliveryError: for an endpoint that may not be used.
        RetryableDeliveryError: when its host cannot be resolved now.
    """
    if endpoint == GOOGLE_ENDPOINT:
        return

    if not allow_private:
        raise PermanentDeliveryError(
            f"api_endpoint {endpoint!r} is not Google's. A stand-in server is used "
            "only when the operator allows private targets "
            "(EVENTHUB_ALLOW_PRIVATE_TARGETS); otherwise remove api_endpoint."
        )

    host = urlsplit(endpoint).hostname or ""
    try:
        found = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except OSError as exc:
        raise RetryableDeliveryError(
            f"The host of api_endpoint {endpoint!r} cannot be resolved ({exc})."
        ) from exc

    public = sorted({str(item[4][0]) for item in found if _is_public(str(item[4][0]))})
    if public:
        raise PermanentDeliveryError(
            f"api_endpoint {endpoint!r} resolves to the public address "
            f"{public[0]}; the account's token goes only to Google or to a "
            "stand-in on a private network. Remove api_endpoint to use Google."
        )


def first_row(updates: dict[str, Any]) -> int | None:
    """The sheet row number where an append began, from Google's summary."""
    found = UPDATED_ROW.search(str(updates.get("updatedRange", "")))
    return int(found.group(1)) if found else None


def _is_public(address: str) -> bool:
    return ipaddress.ip_address(address.split("%")[0]).is_global


def _sheet_info(properties: dict[str, Any]) -> SheetInfo:
    grid = properties.get("gridProperties", {})
    return SheetInfo(
        sheet_id=int(properties.get("sheetId", 0)),
        title=str(properties["title"]),
        column_count=int(grid.get("columnCount", NEW_SHEET_COLUMNS)),
    )


def _letter(column: int) -> str:
    return rowcol_to_a1(1, column).rstrip("0123456789")
