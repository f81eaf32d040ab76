"""``listen``: a local receiver that verifies signatures and shows what arrives.

Verification uses the ``standardwebhooks`` package, an implementation
independent of eventhub's own signing code, so what ``listen`` accepts any
Standard Webhooks receiver accepts too.
"""

from __future__ import annotations

import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import IO, Any

import click
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

logger = logging.getLogger(__name__)


class Receiver(ThreadingHTTPServer):
    """An HTTP server that checks and records every webhook it receives.

    Args:
        address: ``(host, port)``; port 0 picks a free one.
        secret: The hook's ``whsec_`` secret, or None to record unverified.
        record: A file to which one JSON line per request is appended.
    """

    daemon_threads = True

    def __init__(
        self,
        address: tuple[str, int],
        secret: str | None,
        record: IO[str] | None = None,
        quiet: bool = False,
    ) -> None:
        super().__init__(address, _Handler)
        self.verifier = Webhook(secret) if secret else None
        self.record = record
        self.quiet = quiet
        self.received: list[dict[str, Any]] = []
        self.lock = threading.Lock()

    def accept(self, headers: dict[str, str], body: bytes) -> dict[str, Any]:
        """Verify one request and keep what is known about it."""
        verified: bool | None = None
        problem = None
        if self.verifier is not None:
            try:
                self.verifier.verify(body, headers)
                verified = True
            except (WebhookVerificationError, ValueError) as exc:
                verified, problem = False, str(exc) or type(exc).__name__

        try:
            payload = json.loads(body)
        except (ValueError, RecursionError):
            payload = None

        entry = {
            "webhookId": headers.get("webhook-id"),
            "event": payload.get("event") if isinstance(payload, dict) else None,
            "verified": verified,
            "problem": problem,
            "payload": payload,
        }
        with self.lock:
            self.received.append(entry)
            if self.record is not None:
                self.record.write(json.dumps(entry, ensure_ascii=False) + "\n")
                self.record.flush()

        if not self.quiet:
            mark = {True: "verified", False: "BAD SIGNATURE", None: "unchecked"}
            click.echo(f"{entry['event']}  {entry['webhookId']}  {mark[verified]}")
        return entry


class _Handler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:  # noqa: N802 (the name http.server calls)
        try:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            headers = {name.lower(): value for name, value in self.headers.items()}
            entry = self.server.accept(headers, body)
        except Exception as exc:
            # A malformed request gets an answer, not a dropped connection.
            logger.warning("could not read a request: %s", exc)
            status = 400
        else:
            status = 401 if entry["verified"] is False else 204
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        logger.debug(format, *args)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8765, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--secret", envvar="EVENTHUB_LISTEN_SECRET", help="The hook's whsec_ secret."
)
@click.option(
    "--record",
    type=click.File("a", encoding="utf-8"),
    help="Append one JSON line per request to this file.",
)
def listen(host: str, port: int, secret: str | None, record: IO[str] | None) -> None:
    """Receive webhooks locally, verify each signature, and print what arrives.

    Answers 204 to a verified request and 401 to one whose signature fails.
    """
    try:
        server = Receiver((host, port), secret, record)
    except (ValueError, OSError) as exc:
        raise click.ClickException(
            f"Cannot listen on {host}:{port} with that secret: {exc}"
        ) from exc
    click.echo(f"listening on http://{host}:{server.server_address[1]}/", err=True)
    if not secret:
        click.echo("no --secret given: signatures are not checked", err=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
