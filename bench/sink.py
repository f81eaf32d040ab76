"""A loopback HTTP sink for the benchmarks: answers 204, counts requests.

Runs in its own process so that neither the hub nor the bare client shares
its interpreter lock. It is a bare asyncio protocol rather than
``http.server``: a thread per connection cost more CPU than the client it was
measuring, and on two cores the sink's CPU is taken from the hub.

``GET /`` answers the number of POSTs so far; with ``--record``, ``GET
/arrivals`` answers ``{webhook-id: unix time of its first arrival}``.
Prints its port on the first line of stdout.

Usage: python bench/sink.py [--record]
"""

from __future__ import annotations

import asyncio
import json
import sys
import time

NO_CONTENT = b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n"


class _State:
    """What every connection shares."""

    def __init__(self, record: bool) -> None:
        self.count = 0
        self.record = record
        self.arrivals: dict[str, float] = {}


class _Connection(asyncio.Protocol):
    """One keep-alive connection; parses just enough HTTP/1.1 for the bench."""

    def __init__(self, state: _State) -> None:
        self.state = state
        self.buffer = bytearray()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.buffer.extend(data)
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return

            head = bytes(self.buffer[:end]).decode("latin-1")
            lines = head.split("\r\n")
            headers = {}
            for line in lines[1:]:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            length = int(headers.get("content-length") or 0)
            if len(self.buffer) < end + 4 + length:
                return

            del self.buffer[: end + 4 + length]
            self._answer(lines[0], headers)

    def _answer(self, request_line: str, headers: dict[str, str]) -> None:
        method, path = request_line.split(" ")[:2]
        if method == "POST":
            self.state.count += 1
            event_id = headers.get("webhook-id")
            if self.state.record and event_id:
                self.state.arrivals.setdefault(event_id, time.time())
            self.transport.write(NO_CONTENT)  # type: ignore[union-attr]
            return

        if path == "/arrivals":
            body = json.dumps(self.state.arrivals).encode()
        else:
            body = str(self.state.count).encode()
        self.transport.write(  # type: ignore[union-attr]
            b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
        )


async def _serve(record: bool) -> None:
    state = _State(record)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: _Connection(state), "127.0.0.1", 0, backlog=1024
    )
    print(server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()


def main() -> None:
    try:
        asyncio.run(_serve("--record" in sys.argv[1:]))
    except KeyboardInterrupt:
        sys.exit(0)


if __name__ == "__main__":
    main()
