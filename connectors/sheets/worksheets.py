"""What one connector instance knows of the worksheets it writes to.

A worksheet is opened once per instance (created if missing) and then
trusted until Google says otherwise. The header row is read afresh for every
batch, because a person may have moved columns since; that read costs one
request per batch, not per row.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import timezone, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from gspread.exceptions import APIError

from connectors.sheets.client import SheetInfo, SheetsClient
from connectors.sheets.settings import DEFAULT_WORKSHEET, GOOGLE_ENDPOINT

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Destination:
    """One worksheet as one account sees it: what a batch is grouped by."""

    endpoint: str
    key_file: str
    spreadsheet: str
    worksheet: str

    @classmethod
    def of(cls, settings: Mapping[str, Any]) -> Destination:
        """The destination a hook's settings name."""
        return cls(
            endpoint=str(settings.get("api_endpoint") or GOOGLE_ENDPOINT),
            key_file=str(settings.get("credentials") or ""),
            spreadsheet=str(settings.get("spreadsheet") or ""),
            worksheet=str(settings.get("worksheet") or DEFAULT_WORKSHEET),
        )


@dataclass(frozen=True)
class OpenSheet:
    """A worksheet known to exist, and the time zone of its spreadsheet.

    Attributes:
        info: Its id, exact title and width when last asked.
        zone: The spreadsheet's time zone, in which times are written, so
            they read as the people using the spreadsheet expect.
    """

    info: SheetInfo
    zone: tzinfo


class Worksheets:
    """The worksheets an instance has opened and checked; not thread-safe."""

    def __init__(self) -> None:
        self._open: dict[Destination, OpenSheet] = {}
        # Worksheets whose id column was read since the instance started or
        # since its last unclear write there; see needs_id_check.
        self._checked: set[Destination] = set()

    def read_header(
        self, client: SheetsClient, destination: Destination, columns: int
    ) -> tuple[OpenSheet, list[str]]:
        """Open the worksheet and read its header row.

        Args:
            client: The client to read with.
            destination: Which worksheet.
            columns: How wide to make it, should it have to be created.
        """
        sheet = self._ensure_open(client, destination, columns)
        try:
            return sheet, client.read_header(destination.spreadsheet, sheet.info.title)
        except APIError as exc:
            # A person deleted or renamed the tab since it was opened: Google
            # cannot parse a range on a tab it does not have. Open it afresh.
            if exc.response.status_code != 400 or "parse range" not in str(exc):
                raise

        self.forget(destination)
        sheet = self._ensure_open(client, destination, columns)
        return sheet, client.read_header(destination.spreadsheet, sheet.info.title)

    def add_headers(
        self,
        client: SheetsClient,
        destination: Destination,
        first: int,
        added: list[str],
    ) -> None:
        """Write ``added`` into row 1 after column ``first``, widening if needed."""
        title = self.title(destination)
        needed = first + len(added)
        if needed > self._open[destination].info.column_count:
            self._widen(client, destination, needed)

        try:
            client.write_header(destination.spreadsheet, title, first + 1, added)
        except APIError as exc:
            # The width known here was stale: a person deleted columns since.
            if exc.response.status_code != 400 or "grid limits" not in str(exc):
                raise
            self._widen(client, destination, needed)
            client.write_header(destination.spreadsheet, title, first + 1, added)

        logger.info(
            "sheets added columns %s to %s/%r",
            ", ".join(repr(name) for name in added),
            destination.spreadsheet,
            title,
        )

    def needs_id_check(self, destination: Destination, attempts: Iterable[int]) -> bool:
        """Whether rows about to be appended may already be in the worksheet.

        A retry may follow an append that landed although its answer was
        lost. So may the first batch of a fresh instance: a worker that died
        after writing leaves its lease to expire, and the delivery comes back
        with the same attempt number.
        """
        return destination not in self._checked or any(n > 1 for n in attempts)

    def present_ids(
        self, client: SheetsClient, destination: Destination, positions: Iterable[int]
    ) -> set[tuple[int, str]]:
        """Read id columns (0-based ``positions``); return ``(position, id)``."""
        title = self._open[destination].info.title
        present: set[tuple[int, str]] = set()
        for position in sorted(set(positions)):
            column = client.read_column(destination.spreadsheet, title, position + 1)
            present.update((position, event_id) for event_id in column)

        self._checked.add(destination)
        return present

    def title(self, destination: Destination) -> str:
        """The exact title of an opened worksheet."""
        return self._open[destination].info.title

    def doubt(self, destination: Destination) -> None:
        """Note an append of unknown fate: check ids before the next one."""
        self._checked.discard(destination)

    def forget(self, destination: Destination) -> None:
        """Drop what is known of a worksheet; it is opened afresh next time."""
        self._open.pop(destination, None)
        self._checked.discard(destination)

    def _widen(
        self, client: SheetsClient, destination: Destination, needed: int
    ) -> None:
        """Make the worksheet at least ``needed`` columns wide.

        Writing past the grid is a 400, and the width known here may be stale,
        so it is asked for first.
        """
        sheet = self._open[destination]
        spreadsheet = client.spreadsheet(destination.spreadsheet)
        fresh = spreadsheet.sheets.get(sheet.info.title, sheet.info)
        if needed > fresh.column_count:
            extra = needed - fresh.column_count
            client.add_columns(destination.spreadsheet, fresh.sheet_id, extra)

        info = replace(fresh, column_count=max(needed, fresh.column_count))
        self._open[destination] = replace(sheet, info=info)

    def _ensure_open(
        self, client: SheetsClient, destination: Destination, columns: int
    ) -> OpenSheet:
        if destination in self._open:
            return self._open[destination]

        spreadsheet = client.spreadsheet(destination.spreadsheet)
        # Sheets refuses two tabs whose names differ only in case.
        wanted = destination.worksheet.casefold()
        found = [
            info
            for title, info in spreadsheet.sheets.items()
            if title.casefold() == wanted
        ]
        if found:
            info = found[0]
        else:
            info = client.add_worksheet(
                destination.spreadsheet, destination.worksheet, columns
            )
            logger.info(
                "sheets created worksheet %r in spreadsheet %s",
                info.title,
                destination.spreadsheet,
            )

        sheet = OpenSheet(info, _zone(spreadsheet.time_zone))
        self._open[destination] = sheet
        return sheet


def _zone(name: str) -> tzinfo:
    try:
        return ZoneInfo(name) if name else timezone.utc
    except (ZoneInfoNotFoundError, ValueError):
        logger.debug("unknown time zone %r; writing times in UTC", name)
        return timezone.utc
