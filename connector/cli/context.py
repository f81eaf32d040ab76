"""What every command shares: the settings, and the hub opened on demand."""

from __future__ import annotations

import json
from typing import Any

import click

from connector.config import Settings
from connector.hub import Hub


class HubContext:
    """Holds the settings; opens the database only for commands that need it."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._hub: Hub | None = None

    def hub(self, **overrides: Any) -> Hub:
        """The hub, with any flag overrides applied on first use."""
        if self._hub is None:
            self.settings = self.settings.override(**overrides)
            self._hub = Hub.open(self.settings)

        return self._hub


pass_hub = click.make_pass_decorator(HubContext)


def echo_json(value: Any) -> None:
    """Print a value as indented JSON on stdout."""
    click.echo(json.dumps(value, indent=2, ensure_ascii=False))


def echo_table(rows: list[dict[str, Any]], columns: list[str]) -> None:
    """Print rows as a plain aligned table, or a note when there are none."""
    if not rows:
        click.echo("(none)")
        return

    cells = [[_cell(row.get(name)) for name in columns] for row in rows]
    widths = [
        max(len(name), *(len(line[index]) for line in cells))
        for index, name in enumerate(columns)
    ]
    click.echo(
        "  ".join(name.ljust(w) for name, w in zip(columns, widths, strict=True))
    )
    for line in cells:
        click.echo(
            "  ".join(text.ljust(w) for text, w in zip(line, widths, strict=True))
        )


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, (list, tuple)):
        return ",".join(str(item) for item in value)
    return str(value)
