"""Push stream benchmark: 1,000 concurrent SSE subscribers, one tick committed.

What is measured, in one run against the database in DATABASE_URL and the Redis in REDIS_URL
(its own database: the run writes rates of a bench source and an API key, and deletes them at
the end), with the stream server started here as `make run` starts it (granian --interface asgi,
one worker, koel.asgi):

* delivery: a tick (the 8 live pairs and their 28 cross rates, one transaction through
  `rates.ingest.services.rates_upsert`, as the live feed writes them) is committed, and each
  subscriber (EventSource-like clients on raw sockets, in this process, subscribed to EUR/USD)
  timestamps the event when it reads it. Reported: the time from the start of the tick's write
  (commit and publish included) until 50%, 99% and 100% of the subscribers have it, the median
  of `--ticks` ticks; baseline: the same with 1 subscriber, in the same run;
* memory: the stream server's worker RSS with `--subscribers` idle streams open, less its RSS
  with none (after one stream has been opened and closed, so the hub and the Redis
  subscription exist), per subscriber; baselines: that idle server's RSS, and the same
  measurement of a bare ASGI app under the same granian (bench/stream_bare.py: what the server
  itself costs per open streaming connection);
* tick latency from the tick's first request to its commit, by bench/live_tick.py's
  `tick_latency()` (the live feed's benchmark), when that file is in the tree.

The clients run on the same 2 cores as the server (and Redis, PostgreSQL): the figures include
the clients' own reading. They open their streams with an API key (an anonymous address would be
throttled at KOEL_ANON_RATE). The alerts' receivers are disconnected for the run, so no
evaluation task is queued. Goal (issue 12): 99% of 1,000 subscribers have the event in <= 1 s.
Run from the project root:

    DATABASE_URL=postgres://.../koel_bench_stream REDIS_URL=redis://... DEBUG=1 \\
        .venv/bin/python bench/stream.py
"""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "koel.settings")

import django  # noqa: E402

django.setup()

import argparse  # noqa: E402
import asyncio  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402
import urllib.request  # noqa: E402
from concurrent.futures import ThreadPoolExecutor  # noqa: E402
from datetime import UTC, datetime, timedelta  # noqa: E402
from decimal import Decimal  # noqa: E402
from itertools import combinations  # noqa: E402

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402

from alerts.receivers import rates_landed_evaluate  # noqa: E402
from alerts.receivers_data import rates_landed_notify  # noqa: E402
from bench.django_env import ensure_database_ready, run_line  # noqa: E402
from rates.ingest.services import rates_upsert  # noqa: E402
from rates.models import ApiKey, Source  # noqa: E402
from rates.signals import rates_landed  # noqa: E402
from rates.types import RateRow  # noqa: E402

SOURCE, KEY_NAME = "bench-stream", "bench-stream"
MAJORS = ["EUR/USD", "GBP/USD", "USD/JPY", "USD/CHF", "AUD/USD", "USD/CAD", "NZD/USD", "EUR/GBP"]
VALUES = {"USD": 1.0, "EUR": 1.08, "GBP": 1.27, "JPY": 0.0067, "CHF": 1.13, "AUD": 0.66,
          "CAD": 0.73, "NZD": 0.61}  # fmt: skip
START = datetime(2025, 7, 1, 9, tzinfo=UTC)  # the ticks' observed_at, a second apart


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--subscribers", type=int, default=1000, help="(default 1,000)")
    parser.add_argument("--ticks", type=int, default=5, help="ticks per measurement (5)")
    return parser.parse_args()


# --- set-up and clean-up ---------------------------------------------------------------------


def cleanup() -> None:
    """The bench key, rates and source (raw SQL for the rates: the ORM's PROTECT check would
    scan every partition)."""
    ApiKey.objects.filter(name=KEY_NAME).delete()
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM rates_exchangerate WHERE source_id = %s AND observed_at >= %s "
            "AND observed_at < %s",
            [SOURCE, START, START + timedelta(days=1)],
        )
        cursor.execute("DELETE FROM rates_latestrates WHERE source_id = %s", [SOURCE])
        cursor.execute("DELETE FROM rates_source WHERE code = %s", [SOURCE])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_start(target: str = "koel.asgi:application") -> tuple[subprocess.Popen, int]:
    """The stream server as `make run` starts it (koel/stack.py), on a free port."""
    port = free_port()
    granian = Path(sys.executable).parent / "granian"
    command = [
        str(granian), "--interface", "asgi", "--host", "127.0.0.1", "--port", str(port),
        "--workers", "1", "--backpressure", "4096", "--backlog", "4096", "--log-level", "warning",
        target,
    ]  # fmt: skip
    process = subprocess.Popen(command, cwd=ROOT, start_new_session=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                return process, port
        except OSError:
            time.sleep(0.2)
    process.kill()
    sys.exit("the stream server did not come up")


def worker_pid(process: subprocess.Popen) -> int:
    children = Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()
    return int(children[0])


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")


# --- the tick --------------------------------------------------------------------------------


def tick_rows(n: int) -> list[RateRow]:
    """The 8 live pairs and the 28 crosses among their currencies (derived), moved a little."""
    at = START + timedelta(seconds=n)
    drift = 1 + n * 0.0001
    value = {code: v * (drift if code != "USD" else 1) for code, v in VALUES.items()}

    def row(pair: str, derived: bool) -> RateRow:
        base, target = pair.split("/")
        return RateRow(base, target, Decimal(f"{value[base] / value[target]:.6g}"), at, derived)

    crosses = [f"{b}/{t}" for b, t in combinations(sorted(VALUES), 2)]
    crosses = [
        pair for pair in crosses if pair not in MAJORS and pair[4:] + "/" + pair[:3] not in MAJORS
    ]
    return [row(pair, False) for pair in MAJORS] + [row(pair, True) for pair in crosses]


def tick_write(n: int) -> tuple[float, float]:
    """(start, end) perf_counter instants of tick `n`'s write (commit and publish included)."""
    rows = tick_rows(n)
    start = time.perf_counter()
    rates_upsert(source=SOURCE, rows=rows)
    return start, time.perf_counter()


# --- subscribers -----------------------------------------------------------------------------


class Subscriber:
    """An EventSource-like client: one connection, each `event: rate` frame timestamped."""

    def __init__(self, port: int, key: str) -> None:
        self.port, self.key = port, key
        self.arrivals: list[float] = []
        self.open = asyncio.Event()
        self.task: asyncio.Task | None = None

    async def run(self) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        request = (
            "GET /api/v1/stream/?pairs=EUR/USD HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Accept: text/event-stream\r\nX-API-Key: {self.key}\r\n\r\n"
        )
        writer.write(request.encode())
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            if not head.startswith(b"HTTP/1.1 200"):
                raise RuntimeError(head.decode(errors="replace").splitlines()[0])
            while chunk := await reader.read(65536):
                if b"retry:" in chunk:
                    self.open.set()
                arrived = time.perf_counter()
                self.arrivals += [arrived] * chunk.count(b"event: rate")
        finally:
            writer.close()


async def subscribers_open(port: int, key: str, count: int) -> list[Subscriber]:
    subscribers = []
    for first in range(0, count, 100):  # in batches, as a crowd of browsers arrives
        batch = [Subscriber(port, key) for _ in range(min(100, count - first))]
        for subscriber in batch:
            subscriber.task = asyncio.create_task(subscriber.run())
        await asyncio.wait_for(asyncio.gather(*(s.open.wait() for s in batch)), 60)
        subscribers += batch
    return subscribers


async def subscribers_close(subscribers: list[Subscriber]) -> None:
    for subscriber in subscribers:
        subscriber.task.cancel()
    await asyncio.gather(*(s.task for s in subscribers), return_exceptions=True)


async def deliveries(subscribers: list[Subscriber], ticks: range, writer) -> list[dict]:
    """Per tick: seconds from its write's start until 50/99/100% of `subscribers` read it."""
    loop, results = asyncio.get_running_loop(), []
    for n in ticks:
        seen = [len(s.arrivals) for s in subscribers]
        start, end = await loop.run_in_executor(writer, tick_write, n)
        deadline = time.monotonic() + 30
        while any(len(s.arrivals) == k for s, k in zip(subscribers, seen, strict=True)):
            if time.monotonic() > deadline:
                sys.exit(f"tick {n}: not every subscriber had the event after 30 s")
            await asyncio.sleep(0.005)
        times = sorted(s.arrivals[k] - start for s, k in zip(subscribers, seen, strict=True))
        p99 = times[max(0, int(len(times) * 0.99) - 1)]
        results.append(dict(write=end - start, p50=times[len(times) // 2], p99=p99, all=times[-1]))
        await asyncio.sleep(0.3)  # the next tick into a quiet stream
    return results


def medians(ticks: list[dict]) -> dict:
    return {name: statistics.median(t[name] for t in ticks) for name in ticks[0]}


async def measure(port: int, worker: int, key: str, args: argparse.Namespace) -> dict:
    writer = ThreadPoolExecutor(1)  # one thread, one database connection, for every write
    await asyncio.get_running_loop().run_in_executor(writer, tick_write, 0)  # warm
    one = await subscribers_open(port, key, 1)
    baseline = medians(await deliveries(one, range(1, args.ticks + 1), writer))
    await subscribers_close(one)
    await asyncio.sleep(1)
    idle_rss = rss_mb(worker)
    crowd = await subscribers_open(port, key, args.subscribers)
    await asyncio.sleep(2)
    crowd_rss = rss_mb(worker)
    ticks = range(args.ticks + 1, 2 * args.ticks + 1)
    loaded = medians(await deliveries(crowd, ticks, writer))
    await subscribers_close(crowd)
    writer.shutdown()
    return dict(one=baseline, crowd=loaded, idle_rss=idle_rss, crowd_rss=crowd_rss)


async def bare_memory(port: int, worker: int, count: int) -> tuple[float, float]:
    """(idle RSS, RSS with `count` open streams) of the bare ASGI app, in MB."""
    one = await subscribers_open(port, "", 1)
    await asyncio.sleep(1)
    idle = rss_mb(worker)
    crowd = await subscribers_open(port, "", count)
    await asyncio.sleep(2)
    loaded = rss_mb(worker)
    await subscribers_close(one + crowd)
    return idle, loaded


# --- report ----------------------------------------------------------------------------------


def live_tick_report() -> None:
    """The issue's third figure, a tick's latency from its first request to its commit, is
    bench/live_tick.py's (the live feed's branch): its `tick_latency()` runs here once that file
    is in the tree, so that all three figures come from one run."""
    try:
        from bench.live_tick import line, tick_latency
    except ModuleNotFoundError as exc:
        if exc.name != "bench.live_tick":
            raise
        print("tick latency: not measured (bench/live_tick.py, of the live feed, is not here)")
        return
    found = tick_latency(repeats=10)
    print(line("tick, first request to commit", found["tick"]))
    print(line("baseline: bare write of the same 36 rows", found["write"]))


def report(r: dict, args: argparse.Namespace) -> None:
    ms = 1000
    print(f"\ndelivery of one tick (36 rates, EUR/USD subscribed), median of {args.ticks} ticks;")
    print("seconds from the start of the tick's write (commit + publish included):")
    for label, d in (
        ("1 subscriber (baseline)", r["one"]),
        (f"{args.subscribers:,} subscribers", r["crowd"]),
    ):
        print(
            f"  {label:>24}: write {d['write'] * ms:6.1f} ms; 50% {d['p50'] * ms:6.1f} ms, "
            f"99% {d['p99'] * ms:6.1f} ms, 100% {d['all'] * ms:6.1f} ms"
        )  # fmt: skip
    verdict = "met" if r["crowd"]["p99"] <= 1.0 else "NOT met"
    print(f"  99% of {args.subscribers:,} in {r['crowd']['p99']:.3f} s ({verdict}; goal <= 1 s)")
    for label, idle, crowd in (
        ("Koel's stream server", r["idle_rss"], r["crowd_rss"]),
        ("bare ASGI app (baseline)", *r["bare"]),
    ):
        per = (crowd - idle) * 1024 / args.subscribers
        print(
            f"memory, {label}: worker RSS {idle:.1f} MB idle, {crowd:.1f} MB with "
            f"{args.subscribers:,} idle streams: {per:.1f} kB each"
        )
    live_tick_report()


def main(args: argparse.Namespace) -> None:
    # DEBUG=1 only supplies a development SECRET_KEY; Django's query-logging cursor is not
    # what production pays for.
    settings.DEBUG = False
    ensure_database_ready()
    cleanup()
    print(run_line(), flush=True)
    rates_landed.disconnect(rates_landed_evaluate)
    rates_landed.disconnect(rates_landed_notify)
    Source.objects.create(code=SOURCE, name="Benchmark (bench/stream.py)", enabled=False)
    _, key = ApiKey.issue(KEY_NAME)
    process, port = server_start()
    try:
        results = asyncio.run(measure(port, worker_pid(process), key, args))
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(30)
        cleanup()
    process, port = server_start("bench.stream_bare:app")
    try:
        results["bare"] = asyncio.run(bare_memory(port, worker_pid(process), args.subscribers))
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(30)
    report(results, args)


if __name__ == "__main__":
    main(parse_args())
