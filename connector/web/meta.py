"""``/healthz`` and ``/metrics``: for load balancers and Prometheus."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, jsonify
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import func, select, text

from connector.store import Delivery, Event

blueprint = Blueprint("meta", __name__)


@blueprint.get("/healthz")
def healthz() -> Any:
    """Alive and able to reach the database."""
    hub = current_app.extensions["eventhub"]
    with hub.database.session() as session:
        session.execute(text("SELECT 1"))
    return jsonify(status="ok")


@blueprint.get("/metrics")
def metrics() -> Response:
    """Counts of events and of deliveries by status, as Prometheus text."""
    hub = current_app.extensions["eventhub"]
    registry = CollectorRegistry()
    registry.register(_StoreCollector(hub.database))
    return Response(generate_latest(registry), mimetype="text/plain; version=0.0.4")


class _StoreCollector:
    """Reads the gauges from the store at scrape time."""

    def __init__(self, database: Any) -> None:
        self.database = database

    def collect(self) -> Any:
        with self.database.session() as session:
            events = session.scalar(select(func.count()).select_from(Event))
            by_status = session.execute(
                select(Delivery.status, func.count()).group_by(Delivery.status)
            ).all()

        yield GaugeMetricFamily(
            "eventhub_events", "Events stored.", value=float(events or 0)
        )
        deliveries = GaugeMetricFamily(
            "eventhub_deliveries", "Deliveries by status.", labels=["status"]
        )
        counts = {"pending": 0, "delivered": 0, "failed": 0}
        counts.update({status: count for status, count in by_status})
        for status, count in counts.items():
            deliveries.add_metric([status], float(count))
        yield deliveries
