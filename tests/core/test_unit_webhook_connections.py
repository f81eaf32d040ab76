"""How the webhook connector uses its connections: kept, replaced, broken."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator

import pytest

from connector.base import ConnectorOptions, DeliveryRequest, Outcome
from connectors.webhook import WebhookConnector
from tests.support.sink import Answer, Sink


@pytest.fixture
def connector() -> Iterator[WebhookConnector]:
    connector = WebhookConnector(ConnectorOptions(allow_private_targets=True))
    yield connector
    connector.close()


def _request(url: str, number: int = 0) -> DeliveryRequest:
    return DeliveryRequest(
        delivery_id=f"dl_{number}",
        hook_id="hk_test",
        event_id=f"ev_{number}",
        event_key="page.viewed",
        payload=json.dumps({"n": number}),
        settings={"url": url, "timeout": 5.0},
    )


class OneShotServer:
    """Accepts connections on 127.0.0.1 and answers each as ``handle`` says."""

    def __init__(self, handle) -> None:
        self.socket = socket.create_server(("127.0.0.1", 0))
        self.handle = handle
        self.connections = 0
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.socket.getsockname()[1]}/in"

    def _serve(self) -> None:
        while True:
            try:
                client, _ = self.socket.accept()
            except OSError:
                return
            self.connections += 1
            with client:
                client.recv(65536)
                self.handle(client)

    def close(self) -> None:
        self.socket.close()


def test_one_connection_carries_many_deliveries(connector, sink: Sink):
    results = [connector.deliver(_request(sink.url, n)) for n in range(5)]

    assert [result.outcome for result in results] == [Outcome.DELIVERED] * 5
    assert len({item.client_port for item in sink.wait_for(5)}) == 1


def test_a_large_answer_costs_the_connection_but_not_the_next_delivery(
    connector, sink: Sink
):
    sink.answer(Answer(200, body=b"z" * (256 * 1024)))

    first = connector.deliver(_request(sink.url, 1))
    second = connector.deliver(_request(sink.url, 2))

    assert first.outcome is Outcome.DELIVERED
    assert len(first.response_body) == 64 * 1024
    assert second.outcome is Outcome.DELIVERED
    ports = [item.client_port for item in sink.wait_for(2)]
    assert ports[0] != ports[1]


def test_a_target_that_hangs_up_without_answering_is_retried(connector):
    server = OneShotServer(lambda client: None)
    try:
        result = connector.deliver(_request(server.url))
    finally:
        server.close()

    assert result.outcome is Outcome.RETRY
    assert result.status_code is None
    assert "closed the connection without answering" in result.error
    # Sent twice: the first hang-up might have been a stale kept-alive
    # connection; the second, on a new connection, is the target's answer.
    assert server.connections == 2
    # It took the connection, so it is not paused as unreachable.
    assert result.details == {"unreachable": False}


def test_a_target_that_closes_after_each_answer_gets_a_new_connection(connector):
    def answer_and_close(client: socket.socket) -> None:
        client.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")

    server = OneShotServer(answer_and_close)
    try:
        results = [connector.deliver(_request(server.url, n)) for n in range(3)]
    finally:
        server.close()

    assert [result.outcome for result in results] == [Outcome.DELIVERED] * 3
    assert [result.response_body for result in results] == ["ok"] * 3
    assert server.connections == 3


def test_a_body_cut_short_keeps_the_status(connector):
    def short_body(client: socket.socket) -> None:
        client.sendall(b"HTTP/1.1 202 Accepted\r\nContent-Length: 100\r\n\r\npartial")

    server = OneShotServer(short_body)
    try:
        result = connector.deliver(_request(server.url))
    finally:
        server.close()

    assert result.outcome is Outcome.DELIVERED
    assert result.status_code == 202
