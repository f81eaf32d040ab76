"""The ``eventhub`` command line.

Every command that opens the database brings its schema up to date first, so
a fresh file or an upgrade needs no extra step.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import click
from sqlalchemy.exc import SQLAlchemyError

from connector import __version__
from connector.cli.context import HubContext, pass_hub
from connector.cli.emit import emit
from connector.cli.listen import listen
from connector.cli.manage import deliveries, event_types, hooks, keys
from connector.cli.serve import db, serve, web, worker
from connector.config import Settings, from_environment
from connector.errors import EventhubError, InvalidInputError
from connector.store.database import redact

logger = logging.getLogger(__name__)


class _Group(click.Group):
    """Turns eventhub's own errors into a clear message and exit code 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except InvalidInputError as exc:
            details = "".join(
                f"\n  {path or '(body)'}: {'; '.join(reasons)}"
                for path, reasons in exc.fields.items()
            )
            raise click.ClickException(exc.message + details) from exc
        except EventhubError as exc:
            raise click.ClickException(str(exc)) from exc
        except SQLAlchemyError as exc:
            settings = ctx.obj.settings if isinstance(ctx.obj, HubContext) else None
            where = redact(settings.database_url) if settings else "the database"
            reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
            raise click.ClickException(
                f"Cannot use {where}: {reason}. Check EVENTHUB_DATABASE_URL or "
                "--database-url, and that the file or server is reachable."
            ) from exc


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="eventhub")
@click.option(
    "--database-url",
    metavar="URL",
    help="Overrides EVENTHUB_DATABASE_URL (default sqlite:///eventhub.db).",
)
@click.option(
    "--log-level",
    type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False),
    help="Overrides EVENTHUB_LOG_LEVEL (default INFO).",
)
@click.pass_context
def main(ctx: click.Context, database_url: str | None, log_level: str | None) -> None:
    """eventhub: send iQualify events to webhooks, Zapier and Google Sheets."""
    try:
        settings: Settings = from_environment().override(
            database_url=database_url,
            log_level=log_level.upper() if log_level else None,
        )
    except EventhubError as exc:
        raise click.ClickException(str(exc)) from exc

    logging.basicConfig(
        level=settings.log_level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    # urllib3 logs each request's full path at DEBUG, and a target's path can
    # be a secret (a Zapier hook URL is one).
    logging.getLogger("urllib3").setLevel(logging.WARNING)
    if settings.log_level != "DEBUG":
        # Alembic announces every migration check at INFO on every command.
        logging.getLogger("alembic").setLevel(logging.WARNING)
    ctx.obj = HubContext(settings)


for command in (serve, web, worker, db, emit, listen, hooks, deliveries, keys):
    main.add_command(command)
main.add_command(event_types)

try:
    from connectors.zapier.cli import zapier
except ImportError:  # the zapier connector is optional
    pass
else:
    main.add_command(zapier)

from connector.cli.demo import demo  # noqa: E402  (demo uses the commands above)

main.add_command(demo)

__all__ = ["main", "pass_hub"]
