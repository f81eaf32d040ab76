"""``serve``, ``web``, ``worker`` and ``db``: running the hub.

``serve`` is the embedded mode: the API under waitress and the delivery
threads in one process. For scale-out, ``web`` runs the API under gunicorn and
``worker`` runs delivery threads, as many processes of each as needed, on as
many machines, against one PostgreSQL database. Every one of them stops
gracefully on SIGTERM: requests and deliveries in flight finish, deliveries
claimed but not started are handed back at once.
"""

from __future__ import annotations

import logging
import signal
import threading
from typing import Any

import click
from waitress.server import create_server

from connector.cli.context import HubContext, pass_hub
from connector.cli.gunicorn_app import WebApplication
from connector.delivery.worker import WorkerPool
from connector.web import create_app

logger = logging.getLogger(__name__)

# Waitress answers requests on this many threads.
HTTP_THREADS = 8


def _common(function: Any) -> Any:
    function = click.option(
        "--allow-private-targets/--no-allow-private-targets",
        default=None,
        help="Allow hooks on loopback and private networks "
        "(EVENTHUB_ALLOW_PRIVATE_TARGETS).",
    )(function)
    return function


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option("--workers", type=int, help="Delivery threads (EVENTHUB_WORKERS).")
@_common
@pass_hub
def serve(
    context: HubContext,
    host: str,
    port: int,
    workers: int | None,
    allow_private_targets: bool | None,
) -> None:
    """Run the API and the delivery workers in one process.

    This is the embedded mode: one process, the SQLite file by default.
    Stops gracefully on Ctrl-C or SIGTERM, finishing the deliveries in hand.
    """
    hub = context.hub(workers=workers, allow_private_targets=allow_private_targets)
    pool = WorkerPool(hub.database, hub.registry, hub.settings, hub.wakeup)
    pool.start()
    try:
        _serve_http(create_app(hub), host, port)
    finally:
        pool.stop(hub.settings.graceful_seconds)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--processes", type=int, help="Web processes (EVENTHUB_WEB_PROCESSES, 2)."
)
@click.option(
    "--threads", type=int, help="Threads per web process (EVENTHUB_WEB_THREADS, 8)."
)
@_common
@pass_hub
def web(
    context: HubContext,
    host: str,
    port: int,
    processes: int | None,
    threads: int | None,
    allow_private_targets: bool | None,
) -> None:
    """Run only the API, under gunicorn; "eventhub worker" processes deliver.

    Stops gracefully on SIGTERM: requests being answered finish first.
    """
    hub = context.hub(
        web_processes=processes,
        web_threads=threads,
        allow_private_targets=allow_private_targets,
    )
    # The schema is upgraded here, once; the web processes forked next open
    # connections of their own.
    hub.database.dispose()
    WebApplication(hub.settings, host, port).run()


@click.command()
@click.option("--workers", type=int, help="Delivery threads (EVENTHUB_WORKERS).")
@_common
@pass_hub
def worker(
    context: HubContext, workers: int | None, allow_private_targets: bool | None
) -> None:
    """Run only delivery workers, against the database the API writes to.

    Run as many as needed, on any number of machines. Stops gracefully on
    SIGTERM: requests in flight finish and are recorded, the rest of each
    claimed batch is handed back for other workers.
    """
    hub = context.hub(workers=workers, allow_private_targets=allow_private_targets)
    pool = WorkerPool(hub.database, hub.registry, hub.settings)
    stop = threading.Event()
    _on_signals(stop.set)

    pool.start()
    click.echo(f"eventhub worker running {len(pool.workers)} threads", err=True)
    stop.wait()
    pool.stop(hub.settings.graceful_seconds)


@click.group()
def db() -> None:
    """Database schema commands."""


@db.command()
@pass_hub
def upgrade(context: HubContext) -> None:
    """Bring the database schema up to date, and do nothing else."""
    # Opening the hub is what upgrades; the database keeps what it found.
    found, left = context.hub().database.schema_revisions
    if found is None:
        click.echo(f"Created the database schema at revision {left}.")
    elif found != left:
        click.echo(f"Upgraded the database schema from revision {found} to {left}.")
    else:
        click.echo(f"The database schema is already up to date (revision {left}).")


class _Stop(Exception):
    """Raised in the main thread by a signal, to leave waitress's loop."""


def _serve_http(app: Any, host: str, port: int) -> None:
    # Waitress reads a whole body before the app sees it. Bodies just over the
    # limit still reach the app, which answers 413 in the JSON error shape;
    # far larger ones are refused by waitress before they fill the memory.
    limit = app.config["MAX_CONTENT_LENGTH"]
    server = create_server(
        app,
        host=host,
        port=port,
        threads=HTTP_THREADS,
        max_request_body_size=max(4 * limit, 8 * 1024 * 1024),
    )
    # The real port, when 0 asked the system for a free one; scripts read it.
    click.echo(f"eventhub serving on http://{host}:{server.effective_port}")

    def _stop() -> None:
        raise _Stop

    _on_signals(_stop)
    try:
        server.run()
    except (_Stop, KeyboardInterrupt):
        pass
    finally:
        # Answer the requests already being handled, then close.
        server.task_dispatcher.shutdown(timeout=10)
        server.close()
    logger.info("HTTP server stopped")


def _on_signals(callback: Any) -> None:
    def _handler(signum: int, _frame: Any) -> None:
        logger.info("received %s; stopping", signal.Signals(signum).name)
        callback()

    signal.signal(signal.SIGTERM, _handler)
    signal.signal(signal.SIGINT, _handler)
