"""Durable deliveries per second through ``eventhub serve``, against a bare loop.

The quick, SQLite-only part of ``bench/scale_out.py``, for a machine without
PostgreSQL. In one run, against the same loopback sink:

* reference: a bare loop of urllib3, the client the hub delivers with,
  POSTing the same bodies, one at a time, with nothing stored;
* hub: ``eventhub serve`` on a fresh SQLite file delivering as many events,
  each recorded durably (attempt row, delivery state) before it counts.

Usage: .venv/bin/python bench/delivery_throughput.py [--events N]
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import harness
from scale_out import bare_reference, durable_rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=3000)
    args = parser.parse_args()

    sink = harness.SinkProcess()
    events = harness.make_events(args.events)
    bodies = [json.dumps(event, separators=(",", ":")) for event in events]
    try:
        bare, _ = bare_reference(sink, bodies)
    finally:
        sink.stop()

    with tempfile.TemporaryDirectory() as work:
        database_url = f"sqlite:///{Path(work) / 'bench.db'}"
        hub = durable_rate(database_url, ["serve", "--port", "0"], 1, args.events)

    print(f"events: {args.events}")
    print(f"bare urllib3 loop          : {bare:8.0f} posts/s   (reference)")
    print(f"eventhub serve, durable    : {hub:8.0f} deliveries/s")
    print(f"ratio hub / bare           : {hub / bare:8.2f}")


if __name__ == "__main__":
    main()
