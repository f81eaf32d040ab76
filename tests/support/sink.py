"""A real HTTP server on 127.0.0.1 that records webhooks and answers as told."""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    """One request as the sink saw it."""

    path: str
    headers: dict[str, str]
    body: bytes
    client_port: int = 0
    at: float = field(default_factory=time.monotonic)
    #: Every header line as sent, repeats included.
    header_lines: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class Answer:
    """What the sink answers to one request."""

    status: int = 204
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    delay: float = 0.0
    block: threading.Event | None = None


class Sink(ThreadingHTTPServer):
    """Records every request; answers from a script, then with ``default``."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.received: list[Received] = []
        self.started = 0
        self.script: deque[Answer] = deque()
        self.default = Answer()
        self.arrived = threading.Condition()
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """The base URL, e.g. ``http://127.0.0.1:40123``."""
        return f"http://127.0.0.1:{self.server_address[1]}"

    def answer(self, *answers: Answer) -> None:
        """Queue answers for the next requests, in order."""
        self.script.extend(answers)

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        """Wait until ``count`` requests arrived; return them all."""
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.received) >= count, timeout)
            return list(self.received)

    def wait_for_start(self, count: int, timeout: float = 10.0) -> bool:
        """Wait until ``count`` requests have begun, answered or not."""
        with self.arrived:
            return self.arrived.wait_for(lambda: self.started >= count, timeout)

    def start(self) -> Sink:
        """Serve in a background thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self.shutdown()
        self.server_close()

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Stay quiet when a client hangs up; tests kill clients on purpose."""

    def _next_answer(self) -> Answer:
        try:
            return self.script.popleft()
        except IndexError:
            return self.default


class _Handler(BaseHTTPRequestHandler):
    server: Sink
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        answer = self.server._next_answer()
        with self.server.arrived:
            self.server.started += 1
            self.server.arrived.notify_all()
        if answer.block is not None:
            answer.block.wait(30)
        if answer.delay:
            time.sleep(answer.delay)

        with self.server.arrived:
            self.server.received.append(
                Received(
                    self.path,
                    {k.lower(): v for k, v in self.headers.items()},
                    body,
                    self.client_address[1],
                    header_lines=list(self.headers.items()),
                )
            )
            self.server.arrived.notify_all()

        self.send_response(answer.status)
        for name, value in answer.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(answer.body)))
        self.end_headers()
        self.wfile.write(answer.body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass
