"""The real Flask app under waitress on 127.0.0.1, with delivery workers."""

from __future__ import annotations

import threading

from waitress.server import create_server

from connector.delivery.worker import WorkerPool
from connector.hub import Hub
from connector.web import create_app


class ServedHub:
    """A hub answering HTTP on a free port, its workers running beside it."""

    def __init__(self, hub: Hub, workers: bool = True) -> None:
        self.hub = hub
        self.server = create_server(
            create_app(hub), host="127.0.0.1", port=0, threads=4
        )
        self.pool = WorkerPool(hub.database, hub.registry, hub.settings, hub.wakeup)
        self.with_workers = workers
        self._thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        """The base URL of the API."""
        return f"http://127.0.0.1:{self.server.effective_port}"

    def start(self) -> ServedHub:
        """Start answering and delivering."""
        self._thread.start()
        if self.with_workers:
            self.pool.start()
        return self

    def stop(self) -> None:
        """Stop the workers and the server."""
        if self.with_workers:
            self.pool.stop()
        self.server.close()
        self.server.task_dispatcher.shutdown(timeout=5)
