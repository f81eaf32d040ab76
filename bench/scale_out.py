"""Scale-out figures in one run, each beside the reference measured in that run.

* reference: a bare loop of the HTTP client the hub delivers with (urllib3)
  POSTing the same bodies to the same loopback sink, one at a time, with
  nothing stored; a bare ``requests.Session`` loop is shown beside it;
* durable deliveries per second: ``eventhub serve`` on SQLite, and ``eventhub
  worker`` on PostgreSQL at 1, 2 and 4 processes, each draining the same
  backlog; a delivery counts once its attempt and new state are committed;
* events ingested per second over HTTP by ``eventhub web`` (gunicorn) on
  PostgreSQL, one event per POST and 100 per POST;
* the time from an event's ``202`` to its first attempt reaching the sink, at
  a steady 200 events a second (one per POST, then ten per POST), with
  ``web`` and two ``worker`` processes, and the rate the producers kept;
* a worker's peak memory (VmHWM) while it works a backlog of 100,000 and of
  1,000,000 deliveries, built server-side with ``generate_series``.

Each rate is the median of ``--repeat`` runs (3 by default), shown with
their range: on a 2-core machine shared by the sink, the database and the
hub, single runs vary by a fifth. Each run follows a reference loop of its
own and is divided by it; the ratio shown is the median of those.

Usage: python bench/scale_out.py [--events N] [--backlogs 100000,1000000]
       [--pg-url URL] [--skip-memory] [--repeat N]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import threading
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import harness
import requests
import urllib3
from sqlalchemy import select, text

from connector.store import Delivery

PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/eventhub_bench"
ROWS: list[tuple[str, str, str]] = []


def report(measure: str, value: str, ratio: str) -> None:
    """Keep one row of the final table and show it at once."""
    ROWS.append((measure, value, ratio))
    print(f"  {measure}: {value} ({ratio})", flush=True)


def bare_reference(sink: harness.SinkProcess, bodies: list[str]) -> tuple[float, Any]:
    """Posts per second of one bare urllib3 loop, and its round-trip times."""
    pool = urllib3.PoolManager(retries=False)
    headers = {"Content-Type": "application/json"}

    def post(body: str) -> None:
        response = pool.urlopen(
            "POST", sink.url, body=body.encode(), headers=headers, redirect=False
        )
        response.release_conn()

    return _timed_loop(post, bodies)


def bare_requests(sink: harness.SinkProcess, bodies: list[str]) -> float:
    """Posts per second of one bare ``requests.Session`` loop."""
    session = requests.Session()
    headers = {"Content-Type": "application/json"}
    return _timed_loop(
        lambda body: session.post(sink.url, data=body.encode(), headers=headers),
        bodies,
    )[0]


def _timed_loop(post: Any, bodies: list[str]) -> tuple[float, list[float]]:
    for body in bodies[:200]:  # warm up: connection, caches
        post(body)

    times = []
    started = time.perf_counter()
    for body in bodies:
        before = time.perf_counter()
        post(body)
        times.append(time.perf_counter() - before)
    return len(bodies) / (time.perf_counter() - started), times


def durable_rate(
    database_url: str, command: list[str], processes: int, count: int
) -> float:
    """Deliveries per second while ``processes`` hub processes drain ``count``."""
    with ExitStack() as cleanup:
        sink = _sink(cleanup)
        hub = _hub(cleanup, database_url, sink)[0]
        harness.preload(hub, harness.make_events(count))
        marker = "serving on" if command[0] == "serve" else "worker running"
        env = harness.environment(database_url)
        running = [harness.start_hub(command, env) for _ in range(processes)]
        cleanup.callback(harness.stop_all, running)
        for process in running:
            harness.wait_for(process, marker)

        started = time.perf_counter()
        at_start = sink.count()
        deadline = time.monotonic() + count / 20 + 60
        # Progress is read from the sink, not the database, so that the bench
        # adds no load to the database it measures; the last check is durable.
        while sink.count() < count and time.monotonic() < deadline:
            time.sleep(0.05)
        while harness.delivered(hub) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        elapsed = time.perf_counter() - started
        if harness.delivered(hub) < count:
            raise RuntimeError(f"only {harness.delivered(hub)} of {count} delivered")

    return (count - at_start) / elapsed


def ingest_rates(
    database_url: str, seconds: float, clients: int
) -> tuple[float, float]:
    """Events per second through ``eventhub web``: one per POST, and 100 per POST.

    No worker runs meanwhile: this is the API's own rate, fan-out included.
    """
    with ExitStack() as cleanup:
        sink = _sink(cleanup)
        key = _hub(cleanup, database_url, sink)[1]
        url = _web(cleanup, database_url)
        single = _post_for(url, key, seconds, clients, 1)
        batched = _post_for(url, key, seconds, clients, 100)

    return single, batched


def _post_for(url: str, key: str, seconds: float, clients: int, size: int) -> float:
    accepted = [0] * clients
    deadline = time.monotonic() + seconds

    def client(index: int) -> None:
        session = requests.Session()
        session.headers.update(
            {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
        )
        while time.monotonic() < deadline:
            events = harness.make_events(size)
            body = json.dumps(events[0] if size == 1 else events)
            response = session.post(f"{url}/v1/events", data=body)
            if response.status_code == 202:
                accepted[index] += size

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(accepted) / (time.perf_counter() - started)


def latency(
    database_url: str, rate: float, seconds: float, per_post: int
) -> tuple[list[float], float]:
    """Seconds from each ``202`` to the first attempt's arrival at the sink.

    Events are posted ``per_post`` to a request, paced to ``rate`` events a
    second; also returns the rate the producers actually kept.
    """
    accepted: dict[str, float] = {}
    with ExitStack() as cleanup:
        sink = _sink(cleanup, record=True)
        key = _hub(cleanup, database_url, sink)[1]
        url = _web(cleanup, database_url)
        env = harness.environment(database_url)
        workers = [harness.start_hub(["worker"], env) for _ in range(2)]
        cleanup.callback(harness.stop_all, workers)
        for worker in workers:
            harness.wait_for(worker, "worker running")

        events = harness.make_events(int(rate * seconds))
        posts = [events[i : i + per_post] for i in range(0, len(events), per_post)]
        elapsed = _paced(url, key, posts, rate / per_post, accepted)
        kept = len(accepted) / elapsed
        deadline = time.monotonic() + 30
        while sink.count() < len(accepted) and time.monotonic() < deadline:
            time.sleep(0.1)
        arrivals = sink.arrivals()

    missing = [event_id for event_id in accepted if event_id not in arrivals]
    if missing:
        raise RuntimeError(f"{len(missing)} accepted events never arrived")
    # A worker may post before the client has read its 202; that counts as 0.
    return [max(0.0, arrivals[i] - accepted[i]) for i in accepted], kept


def _paced(
    url: str, key: str, posts: list[list[dict[str, Any]]], rate: float, out: dict
) -> float:
    """POST each batch at its time, ``rate`` POSTs a second, from 32 threads.

    Enough threads that a slow answer delays no later POST: the arrivals stay
    steady, as from many producers. urllib3 keeps the load generator's own
    CPU, taken from the same two cores, small. Returns the seconds from the
    first scheduled POST to the last answer.
    """
    lanes = 32
    start = time.monotonic() + 0.5
    pool = urllib3.PoolManager(maxsize=lanes, retries=False)
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}

    def producer(lane: int) -> None:
        for index in range(lane, len(posts), lanes):
            wait = start + index / rate - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            batch = posts[index]
            body = json.dumps(batch[0] if len(batch) == 1 else batch)
            response = pool.request(
                "POST", f"{url}/v1/events", body=body, headers=headers
            )
            if response.status == 202:
                now = time.time()
                out.update((event["id"], now) for event in batch)

    threads = [threading.Thread(target=producer, args=(n,)) for n in range(lanes)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.monotonic() - start


def backlog_memory(database_url: str, size: int, seconds: float) -> tuple[float, float]:
    """A worker's peak RSS (MiB) and delivery rate with ``size`` deliveries due."""
    with ExitStack() as cleanup:
        sink = _sink(cleanup)
        hub = _hub(cleanup, database_url, sink)[0]
        _fill(hub, size)
        worker = harness.start_hub(["worker"], harness.environment(database_url))
        cleanup.callback(harness.stop_all, [worker])
        harness.wait_for(worker, "worker running")
        time.sleep(seconds)
        peak = harness.peak_rss_mib(worker.pid)
        rate = sink.count() / seconds

    return peak, rate


def _fill(hub: Any, size: int) -> None:
    """``size`` due deliveries, copied server-side from one real one."""
    harness.preload(hub, harness.make_events(1))
    with hub.database.session() as session:
        model = session.scalars(select(Delivery)).one()
        session.execute(
            text(
                "INSERT INTO deliveries (id, organisation_id, hook_id, event_pk, "
                "event_id, event_key, payload, status, attempts, next_attempt_at, "
                "created_at, updated_at) SELECT 'dl_bench_' || n, :org, :hook, "
                ":pk, :event_id, :key, :payload, 'pending', 0, :due, :due, :due "
                "FROM generate_series(2, :size) AS n"
            ),
            {
                "org": model.organisation_id,
                "hook": model.hook_id,
                "pk": model.event_pk,
                "event_id": model.event_id,
                "key": model.event_key,
                "payload": model.payload,
                "due": model.next_attempt_at,
                "size": size,
            },
        )
    with hub.database.engine.connect() as connection:
        connection.execute(text("ANALYZE deliveries"))


def _sink(cleanup: ExitStack, record: bool = False) -> harness.SinkProcess:
    sink = harness.SinkProcess(record=record)
    cleanup.callback(sink.stop)
    return sink


def _hub(cleanup: ExitStack, database_url: str, sink: harness.SinkProcess) -> Any:
    hub, key = harness.prepare(database_url, sink.url)
    cleanup.callback(hub.database.dispose)
    return hub, key


def _web(cleanup: ExitStack, database_url: str) -> str:
    web = harness.start_hub(["web", "--port", "0"], harness.environment(database_url))
    cleanup.callback(harness.stop_all, [web])
    url = harness.wait_for(web, "serving on").split()[-1]
    # The line comes from the first web process; let the others load too.
    session = requests.Session()
    for _ in range(20):
        session.get(f"{url}/healthz", timeout=30)
    time.sleep(1.0)
    return url


class References:
    """The bare loops, measured again right before each figure they scale.

    On a shared virtual machine the speed of the same code moves by half
    within one run, so a reference taken once at the start would scale late
    figures by an early machine. Each figure is divided by the reference
    measured just before it instead, and the table shows the median of
    those ratios.
    """

    def __init__(self, count: int) -> None:
        self.sink = harness.SinkProcess()
        events = harness.make_events(count)
        self.bodies = [json.dumps(e, separators=(",", ":")) for e in events]
        self.rates: list[float] = []
        self.times: list[float] = []

    def measure(self) -> float:
        """One bare urllib3 loop; its rate is kept for the reference row."""
        rate, times = bare_reference(self.sink, self.bodies)
        self.rates.append(rate)
        self.times.extend(times)
        return rate

    def paired(self, runs: int, measure: Any) -> tuple[float, str, float]:
        """``runs`` of ``measure``, each after a reference.

        Returns the median rate, its range for the table, and the median of
        the rate-to-reference ratios.
        """
        rates, ratios = [], []
        for _ in range(runs):
            reference = self.measure()
            rate = measure()
            rates.append(rate)
            ratios.append(rate / reference)
        return _median(rates), _spread(rates), _median(ratios)

    def stop(self) -> None:
        """Stop the reference sink."""
        self.sink.stop()


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[len(ordered) // 2]


def _spread(rates: list[float]) -> str:
    if len(rates) < 2:
        return ""
    return f" ({min(rates):.0f}-{max(rates):.0f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--events", type=int, default=20000, help="deliveries per rate run (20000)"
    )
    parser.add_argument(
        "--pg-url",
        default=PG_URL,
        help="a PostgreSQL database the bench may create and empty (eventhub_bench "
        "on the local server)",
    )
    parser.add_argument(
        "--backlogs",
        default="100000,1000000",
        help="backlog sizes for the memory figures (100000,1000000)",
    )
    parser.add_argument(
        "--skip-memory",
        action="store_true",
        help="leave out the memory figures, which take most of the time",
    )
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs of each rate; the median counts"
    )
    args = parser.parse_args()
    count = args.events

    print(f"events per delivery run: {count}, each run {args.repeat} times", flush=True)
    references = References(count)
    try:
        _measure_all(args, references)
    finally:
        references.stop()

    # The reference row is known only at the end; the table shows it first.
    ROWS.insert(0, ROWS.pop())
    print("\n| measure | figure | ratio |\n|---|---|---|")
    for measure, value, ratio in ROWS:
        print(f"| {measure} | {value} | {ratio} |")


def _measure_all(args: argparse.Namespace, references: References) -> None:
    count = args.events
    runs = args.repeat

    rate, spread, ratio = references.paired(
        runs, lambda: bare_requests(references.sink, references.bodies)
    )
    report(
        "bare requests.Session loop to the sink",
        f"{rate:.0f}/s{spread}",
        f"{ratio:.2f}",
    )

    def sqlite_run() -> float:
        with tempfile.TemporaryDirectory() as work:
            sqlite_url = f"sqlite:///{Path(work) / 'bench.db'}"
            return durable_rate(sqlite_url, ["serve", "--port", "0"], 1, count)

    rate, spread, ratio = references.paired(runs, sqlite_run)
    report(
        "durable, SQLite, eventhub serve (8 threads)",
        f"{rate:.0f}/s{spread}",
        f"{ratio:.2f}",
    )
    for processes in (1, 2, 4):
        rate, spread, ratio = references.paired(
            runs,
            lambda n=processes: durable_rate(args.pg_url, ["worker"], n, count),
        )
        report(
            f"durable, PostgreSQL, {processes} eventhub worker x 8 threads",
            f"{rate:.0f}/s{spread}",
            f"{ratio:.2f}",
        )

    reference = references.measure()
    single, batched = ingest_rates(args.pg_url, seconds=5, clients=8)
    report(
        "ingest over HTTP, web (gunicorn 2x8), 1 event/POST",
        f"{single:.0f}/s",
        f"{single / reference:.2f}",
    )
    report(
        "ingest over HTTP, web (gunicorn 2x8), 100 events/POST",
        f"{batched:.0f}/s",
        f"{batched / reference:.2f}",
    )

    # Latencies are set beside a bare post's round trip, over every
    # reference loop of the run.
    bare50 = harness.percentile(references.times, 0.5)
    bare99 = harness.percentile(references.times, 0.99)
    for per_post in (1, 10):
        waits, kept = latency(args.pg_url, rate=200, seconds=10, per_post=per_post)
        p50, p99 = harness.percentile(waits, 0.5), harness.percentile(waits, 0.99)
        shape = f"{per_post} event/POST, {kept:.0f} events/s kept"
        report(
            f"202 to first attempt at 200 events/s ({shape}), p50",
            f"{p50 * 1000:.1f} ms",
            f"{p50 / bare50:.1f}x a bare post",
        )
        report(
            f"202 to first attempt at 200 events/s ({shape}), p99",
            f"{p99 * 1000:.1f} ms",
            f"{p99 / bare99:.1f}x a bare post",
        )

    if not args.skip_memory:
        sizes = [int(size) for size in args.backlogs.split(",")]
        first = None
        for size in sizes:
            reference = references.measure()
            peak, rate = backlog_memory(args.pg_url, size, seconds=8)
            first = first or peak
            report(
                f"worker peak RSS, {size:,} due",
                f"{peak:.0f} MiB",
                f"{peak / first:.2f}",
            )
            report(
                f"worker delivery rate, {size:,} due",
                f"{rate:.0f}/s",
                f"{rate / reference:.2f}",
            )

    rate = _median(references.rates)
    report(
        "bare urllib3 loop to the sink (reference), over the run",
        f"{rate:.0f}/s{_spread(references.rates)}",
        "1.00",
    )


if __name__ == "__main__":
    main()
