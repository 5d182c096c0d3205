"""Live tick benchmark: one tick of the live feed, from its first request to its commit, against
a local replay of Yahoo's chart API, beside baselines measured in the same run.

What is measured, each `--repeats` times (median, p90 and best reported), against the database
in DATABASE_URL (its own database, bootstrapped: the run writes live quotes of the eight majors
and their 28 cross rates, then deletes what it wrote):

* tick: `monitor.ticks.live_tick_run` for the eight majors, every quote moved since the previous
  tick (so all 8 quotes and 28 crosses are stored, the worst case): from before its first request
  to its transaction's commit (the return of its atomic block), split into fetch (8 requests,
  one at a time, parsed by the spiders' own parsers) and store (unchanged-quote check, cross rates,
  validation, quarantine, the write of 36 rows); per stored row ("message");
* baseline write: the same 36 rows (8 quotes, 28 crosses) through the same services
  (rates_accept per source in one transaction) without fetching;
* baseline request: one bare GET of one pair's body from the replay server (urllib3, no parse);
* the alternative design, a child crawl: `manage.py crawl yahoo --target … --set
  DOWNLOAD_DELAY=0 --set AUTOTHROTTLE_ENABLED=False` per tick (the daily crawls' shape, politeness
  delay zeroed), wall time (`--crawl-repeats`, default 3: each costs seconds).

The issue's reference: "the original design reports 24 ms per message; goal: less". The replay
server speaks HTTP/1.0 (a new connection per request); Yahoo keeps HTTPS connections alive, which
the tick's pooled connections reuse between ticks. `tick_latency()` is importable (the stream
benchmark's tick latency):

    DATABASE_URL=postgres://.../koel_bench REDIS_URL=redis://... DEBUG=1 \\
        .venv/bin/python bench/live_tick.py [--repeats 30] [--crawl-repeats 3]
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
import statistics  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402
from datetime import UTC, datetime, timedelta  # noqa: E402
from decimal import Decimal  # noqa: E402

import urllib3  # noqa: E402
from django.conf import settings  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from bench.django_env import ensure_database_ready  # noqa: E402
from monitor import ticks  # noqa: E402
from monitor.crosses import cross_rows  # noqa: E402
from monitor.models import LivePair  # noqa: E402
from rates.ingest.acceptance import rates_accept  # noqa: E402
from rates.types import RateRow  # noqa: E402
from scrapers.manager import child_env  # noqa: E402
from tests.monitor.live_replay import JSON, MAJORS, yahoo_body, yahoo_path  # noqa: E402
from tests.scrapers.replay import ReplayServer  # noqa: E402

CODES = sorted({code for pair in MAJORS for code in pair})


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--crawl-repeats", type=int, default=3)
    return parser.parse_args()


class Market:
    """The majors' prices, moved a little every tick; each tick one second after the last."""

    def __init__(self, start: datetime) -> None:
        self.prices = dict(MAJORS)
        self.stamp = int(start.timestamp())

    def step(self) -> dict[tuple[str, str], Decimal]:
        self.stamp += 1
        # Each pair by its own step, so every cross rate moves too (one factor for all would
        # leave the crosses between two dollar legs unchanged, and unchanged rows are not stored).
        self.prices = {
            pair: price * (1 + Decimal(n + 1) / 10_000)
            for n, (pair, price) in enumerate(self.prices.items())
        }
        return self.prices

    def routes(self, ticks_wanted: int) -> dict:
        """For every pair, one body per tick, served in order."""
        bodies: dict[str, list] = {yahoo_path(*pair): [] for pair in MAJORS}
        for _ in range(ticks_wanted):
            for pair, price in self.step().items():
                bodies[yahoo_path(*pair)].append((200, yahoo_body(*pair, price, self.stamp), JSON))
        return bodies

    def rows(self) -> list[RateRow]:
        when = datetime.fromtimestamp(self.stamp, UTC)
        return [RateRow(*pair, price, when) for pair, price in self.step().items()]


def cleanup(since: datetime) -> None:
    """What the run wrote: rows of the live and derived sources since it began (raw SQL with both
    bounds: the partitions are pruned) and their latest rows' entries, rebuilt by the next tick."""
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM rates_exchangerate WHERE observed_at >= %s AND observed_at < %s "
            "AND source_id IN ('yahoo', 'koel') AND base_id = ANY(%s) AND target_id = ANY(%s)",
            [since, since + timedelta(days=3), CODES, CODES],
        )
        cursor.execute(
            "DELETE FROM rates_latestrates "
            "WHERE source_id IN ('yahoo', 'koel') AND base_id = ANY(%s)",
            [CODES],
        )


def timed_tick() -> dict[str, float]:
    """One tick; seconds from its start to its fetch's end and to its commit."""
    marks: dict[str, float] = {}
    fetch = ticks.live_quotes

    def fetched(**kwargs):
        answers = fetch(**kwargs)
        marks["fetched"] = time.perf_counter()
        return answers

    def store(answers, crosses):
        written = ticks_store(answers, crosses)  # its transaction has committed on return
        marks["committed"] = time.perf_counter()
        return written

    ticks_store = ticks.ticks_store
    ticks.live_quotes, ticks.ticks_store = fetched, store
    try:
        started = time.perf_counter()
        feed = ticks.live_tick_run(interval_seconds=30)
    finally:
        ticks.live_quotes, ticks.ticks_store = fetch, ticks_store
    if feed.state != "up" or feed.stored != 36:
        raise SystemExit(f"a tick stored {feed.stored} rows ({feed.state}: {feed.reason})")
    return {
        "tick": marks["committed"] - started,
        "fetch": marks["fetched"] - started,
        "store": marks["committed"] - marks["fetched"],
    }


def timed_write(market: Market) -> float:
    quotes = market.rows()
    crosses = cross_rows(quotes, CODES)
    started = time.perf_counter()
    with transaction.atomic():
        rates_accept(source="yahoo", rows=quotes)
        rates_accept(source="koel", rows=crosses)
    return time.perf_counter() - started


def timed_request(url: str, pool: urllib3.PoolManager) -> float:
    started = time.perf_counter()
    reply = pool.request("GET", url, retries=False)
    if reply.status != 200 or not reply.data:
        raise SystemExit(f"the replay server answered {reply.status}")
    return time.perf_counter() - started


def timed_crawl(server_url: str) -> float:
    targets = [arg for code in CODES for arg in ("--target", code)]
    bases = [arg for code in CODES for arg in ("--base", code)]
    command = [sys.executable, "manage.py", "crawl", "yahoo", *bases, *targets]
    command += ["--base-url", server_url, "--set", "DOWNLOAD_DELAY=0"]
    command += ["--set", "AUTOTHROTTLE_ENABLED=False", "--set", "ROBOTSTXT_OBEY=False"]
    started = time.perf_counter()
    subprocess.run(
        command, cwd=ROOT, env=child_env(), capture_output=True, check=False, timeout=300
    )
    return time.perf_counter() - started


def tick_latency(*, repeats: int = 30) -> dict[str, list[float]]:
    """Seconds per tick (start to commit), its fetch and its store, and of the baselines, for
    `repeats` ticks of the eight majors against a replay server started here."""
    LivePair.objects.filter(active=True).exclude(base__in=CODES, target__in=CODES).update(
        active=False
    )  # the eight majors only
    since = datetime.now(UTC) - timedelta(hours=1)
    market = Market(since)
    found: dict[str, list[float]] = {
        "tick": [],
        "fetch": [],
        "store": [],
        "write": [],
        "request": [],
    }
    saved = settings.KOEL_LIVE_BASE_URLS
    pool = urllib3.PoolManager(retries=False)
    try:
        routes = market.routes(repeats + 1)
        routes["/baseline"] = routes[yahoo_path("USD", "JPY")][0]  # its own: ticks use theirs
        with ReplayServer(routes) as server:
            settings.KOEL_LIVE_BASE_URLS = {"yahoo": server.url}
            timed_tick()  # warm: spider classes loaded, statements' first plans
            for _ in range(repeats):
                for name, seconds in timed_tick().items():
                    found[name].append(seconds)
                found["request"].append(timed_request(server.url + "/baseline", pool))
            # After the ticks: rows newer than every tick's, as the next tick's would be.
            found["write"] = [timed_write(market) for _ in range(repeats)]
    finally:
        settings.KOEL_LIVE_BASE_URLS = saved
        cleanup(since)
    return found


def crawl_latency(*, repeats: int) -> list[float]:
    since = datetime.now(UTC) - timedelta(hours=1)
    market = Market(since)
    try:
        with ReplayServer(market.routes(1)) as server:
            return [timed_crawl(server.url) for _ in range(repeats)]
    finally:
        cleanup(since)


def line(name: str, values: list[float], per: int = 1) -> str:
    if not values:
        return f"{name:<44} (not run)"
    ms = sorted(v * 1000 / per for v in values)
    p90 = ms[min(len(ms) - 1, int(len(ms) * 0.9))]
    return f"{name:<44} median {statistics.median(ms):8.2f} ms  p90 {p90:8.2f}  best {ms[0]:8.2f}"


def main(args: argparse.Namespace) -> None:
    settings.DEBUG = False  # DEBUG=1 only supplies a development SECRET_KEY
    ensure_database_ready()
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(
        f"{connection.vendor} {connection.pg_version}, {os.cpu_count()} CPUs, load {load}; "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC; "
        f"{args.repeats} ticks of 8 pairs (8 quotes + 28 crosses stored each)",
        flush=True,
    )
    found = tick_latency(repeats=args.repeats)
    crawls = crawl_latency(repeats=args.crawl_repeats)
    print(line("tick, first request to commit", found["tick"]))
    print(line("  of which fetch (8 requests, parsed)", found["fetch"]))
    print(line("  of which store (36 rows, one transaction)", found["store"]))
    print(line("tick per stored row (36 'messages')", found["tick"], per=36))
    print(line("tick per live quote (8)", found["tick"], per=8))
    print(line("baseline: bare write of the same 36 rows", found["write"]))
    print(line("baseline: one bare HTTP request", found["request"]))
    print(line("alternative: child `manage.py crawl yahoo`", crawls))
    print("reference: the original design's 24 ms per message")


if __name__ == "__main__":
    main(parse_args())
