"""The Google Sheets connector: iQualify events as rows of a worksheet.

Each event becomes one row, its columns matched to the worksheet's header row
by name. Rows bound for the same worksheet go in one append, under a
per-account limit that keeps within Google's quota. See ``docs/sheets.md``.
"""

from __future__ import annotations

from connectors.sheets.connector import SheetsConnector
from connectors.sheets.limiter import RateLimiter
from connectors.sheets.settings import SheetsSettingsSchema

__all__ = ["RateLimiter", "SheetsConnector", "SheetsSettingsSchema"]
