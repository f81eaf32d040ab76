"""The Google Sheets connector: each event a row, each worksheet one append.

A worker hands :meth:`SheetsConnector.deliver_batch` every due Sheets delivery
it claimed. They are grouped by worksheet, and each group costs one header
read and one append, whatever its size: that, more than the limiter, is what
keeps a busy hub inside Google's quota of about 60 writes a minute.

For each group the connector:

1. opens the worksheet, creating it when missing (once per instance);
2. reads the header row, because a person may have moved columns;
3. plans the rows under it, adding headers at the right if the hook allows;
4. when rows may already be there (a retry, a fresh instance), reads the
   event id column and skips them;
5. appends the rest in one request.

Every library error is translated once, here, into a delivery result.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import tzinfo
from typing import Any, ClassVar

from connector.base import (
    BaseConnector,
    ConnectorOptions,
    DeliveryRequest,
    DeliveryResult,
)
from connectors.sheets import outcomes
from connectors.sheets.client import SheetsClient, check_endpoint, first_row
from connectors.sheets.columns import (
    Column,
    configured_columns,
    id_header,
    row_cells,
    with_id_column,
)
from connectors.sheets.credentials import load_service_account
from connectors.sheets.defaults import default_columns
from connectors.sheets.errors import AmbiguousWriteError, Target, translate
from connectors.sheets.limiter import RateLimiter, shared_limiter
from connectors.sheets.settings import SheetsSettingsSchema, check_column_paths
from connectors.sheets.table import PendingRow, TablePlan, plan_table
from connectors.sheets.values import TEXT_MARK, CellValue
from connectors.sheets.worksheets import Destination, Worksheets

logger = logging.getLogger(__name__)

Results = list[DeliveryResult | None]

#: A placed row: its index in the batch, ``(id column, event id)``, its values.
Row = tuple[int, tuple[int, str], list[CellValue]]


class SheetsConnector(BaseConnector):
    """Appends each event as a row of a Google Sheets worksheet.

    Args:
        options: The operator's choices; private targets must be allowed for
            an ``api_endpoint`` other than Google's.
        limiter: The per-account rate limiter; the process-wide one unless a
            test gives its own.
        timeout: Seconds to wait for Google's answer.
        max_wait: Seconds a worker may wait for a quota slot before the
            deliveries are handed back for a retry.
    """

    name: ClassVar[str] = "sheets"
    settings_schema = SheetsSettingsSchema
    signs_payloads = False
    sends_batches = True

    def __init__(
        self,
        options: ConnectorOptions | None = None,
        *,
        limiter: RateLimiter | None = None,
        timeout: float = 30.0,
        max_wait: float = 1.0,
    ) -> None:
        super().__init__(options)
        self.limiter = limiter or shared_limiter
        self.timeout = timeout
        self.max_wait = max_wait
        self.worksheets = Worksheets()
        self._clients: dict[tuple[str, str], tuple[int, SheetsClient]] = {}

    @classmethod
    def check_hook(cls, settings: Mapping[str, Any], events: Sequence[str]) -> None:
        """Refuse columns whose path none of the hook's event types has."""
        check_column_paths(settings, events)

    def deliver(self, request: DeliveryRequest) -> DeliveryResult:
        """Append one event; a batch of one."""
        return self.deliver_batch([request])[0]

    def deliver_batch(
        self, requests: Sequence[DeliveryRequest]
    ) -> list[DeliveryResult]:
        """Append every event, one append per worksheet; never raises.

        Returns:
            One result per request, in the same order.
        """
        groups: dict[Destination, list[int]] = {}
        for index, request in enumerate(requests):
            groups.setdefault(Destination.of(request.settings), []).append(index)

        results: Results = [None] * len(requests)
        for destination, indexes in groups.items():
            batch = [requests[index] for index in indexes]
            answers = self._deliver_group(destination, batch)
            for index, result in zip(indexes, answers, strict=True):
                results[index] = result

        return [result for result in results if result is not None]

    def close(self) -> None:
        """Close every client's connections."""
        for _, client in self._clients.values():
            client.close()
        self._clients.clear()

    def _deliver_group(
        self, destination: Destination, batch: list[DeliveryRequest]
    ) -> list[DeliveryResult]:
        started = time.perf_counter()
        results: Results = [None] * len(batch)
        target = Target(
            "the service account",
            destination.spreadsheet,
            destination.worksheet,
            destination.key_file,
        )
        appended, status = 0, "ok"
        try:
            client = self._client(destination)
            target = replace(target, account=client.account.email)
            appended = self._write(destination, client, target, batch, results)
        except Exception as exc:  # the connector boundary: nothing escapes
            error = translate(exc, target)
            if isinstance(error, AmbiguousWriteError):
                self.worksheets.doubt(destination)
            status = f"HTTP {error.status_code}" if error.status_code else "error"
            logger.warning(
                "sheets %s for %d deliveries to %s/%r: %s",
                "retry" if error.retryable else "failure",
                results.count(None),
                destination.spreadsheet,
                destination.worksheet,
                error,
            )
            outcomes.fill(results, outcomes.failure(error))

        duration = (time.perf_counter() - started) * 1000
        logger.info(
            "sheets append to %s/%r: %d rows, status %s, %.0f ms",
            destination.spreadsheet,
            destination.worksheet,
            appended,
            status,
            duration,
        )
        done = [result for result in results if result is not None]
        for result in done:
            result.duration_ms = duration
        return done

    def _write(
        self,
        destination: Destination,
        client: SheetsClient,
        target: Target,
        batch: list[DeliveryRequest],
        results: Results,
    ) -> int:
        """Append the batch's rows; return how many were appended."""
        events = _parse_payloads(batch, results)
        if not events:
            return 0

        columns = {index: _columns(batch[index]) for index in events}
        widest = max(len(found) for found in columns.values())
        sheet, header = self.worksheets.read_header(client, destination, widest)
        title = sheet.info.title

        plan, rows = _place(header, events, columns, batch, sheet.zone)
        indexes = list(events)
        for number, missing in plan.refused.items():
            results[indexes[number]] = outcomes.refused(title, missing)
        if plan.added:
            self.worksheets.add_headers(client, destination, len(header), plan.added)

        rows = self._drop_present(destination, client, batch, rows, header, results)
        if not rows:
            return 0

        try:
            updates = client.append(
                destination.spreadsheet,
                title,
                len(plan.header),
                [values for _, _, values in rows],
            )
        except Exception as exc:
            raise translate(exc, target, writing=True) from exc

        start = first_row(updates)
        for offset, (index, _, _) in enumerate(rows):
            row = None if start is None else start + offset
            results[index] = outcomes.delivered(
                destination.spreadsheet, title, row, updates
            )

        return len(rows)

    def _drop_present(
        self,
        destination: Destination,
        client: SheetsClient,
        batch: list[DeliveryRequest],
        rows: list[Row],
        header: list[str],
        results: Results,
    ) -> list[Row]:
        """Leave out rows whose event id the worksheet or the batch already has."""
        present: set[tuple[int, str]] = set()
        attempts = [batch[index].attempt for index, _, _ in rows]
        if rows and self.worksheets.needs_id_check(destination, attempts):
            # A column this batch added holds no ids yet, so it is not read.
            positions = [key[0] for _, key, _ in rows if key[0] < len(header)]
            present = self.worksheets.present_ids(client, destination, positions)

        kept = []
        for index, key, values in rows:
            if key in present:
                title = self.worksheets.title(destination)
                results[index] = outcomes.already_there(destination.spreadsheet, title)
            else:
                # Two hooks may send the same event to one worksheet.
                present.add(key)
                kept.append((index, key, values))

        return kept

    def _client(self, destination: Destination) -> SheetsClient:
        check_endpoint(destination.endpoint, self.options.allow_private_targets)
        where = (destination.key_file, destination.endpoint)
        cached = self._clients.get(where)
        try:
            version = os.stat(destination.key_file).st_mtime_ns
        except OSError:
            version = -1  # load_service_account below says what is wrong

        if cached is not None and cached[0] == version:
            return cached[1]

        # A replaced key file (a rotated key) gets a new client and token.
        account = load_service_account(destination.key_file)
        if cached is not None:
            cached[1].close()
        client = SheetsClient(
            account,
            destination.endpoint,
            self.limiter,
            timeout=self.timeout,
            max_wait=self.max_wait,
        )
        self._clients[where] = (account.version, client)
        return client


def _columns(request: DeliveryRequest) -> tuple[Column, ...]:
    configured = request.settings.get("columns")
    if configured:
        return with_id_column(configured_columns(configured))

    return with_id_column(default_columns(request.event_key))


def _place(
    header: list[str],
    events: dict[int, dict[str, Any]],
    columns: dict[int, tuple[Column, ...]],
    batch: list[DeliveryRequest],
    zone: tzinfo,
) -> tuple[TablePlan, list[Row]]:
    """Plan the rows under ``header``; list the placed ones with their ids."""
    indexes = list(events)
    pending = [
        PendingRow(
            row_cells(events[index], columns[index], zone),
            id_header(columns[index]),
            str(batch[index].settings.get("new_fields") or "append"),
        )
        for index in indexes
    ]
    plan = plan_table(header, pending)
    rows = [
        (index, _event_id(plan, columns[index], values), values)
        for index, values in zip(indexes, plan.rows, strict=True)
        if values is not None
    ]
    return plan, rows


def _parse_payloads(
    batch: list[DeliveryRequest], results: Results
) -> dict[int, dict[str, Any]]:
    events = {}
    for index, request in enumerate(batch):
        try:
            event = json.loads(request.payload)
        except ValueError:
            event = None

        if isinstance(event, dict):
            events[index] = event
        else:
            results[index] = outcomes.not_an_object()

    return events


def _event_id(
    plan: TablePlan, columns: Sequence[Column], values: list[CellValue]
) -> tuple[int, str]:
    """Where a row's event id goes, and the id as the sheet will hold it."""
    position = plan.position(id_header(columns))
    # plan_table places the id column under every policy; this cannot miss.
    assert position is not None
    return position, str(values[position] or "").removeprefix(TEXT_MARK)
