"""Load with writes (issue 13, item 4; docs/reliability.md, "4. Load with writes").

One run, three phases of `seconds` each against the production servers (`koel.stack.processes()`:
granian WSGI for the API, granian ASGI for the stream), their Redis a throwaway redis-server of
this run's own (append-only file on: the stream's replay log must survive its restart):

* baseline: wrk on the API (bench/api.lua: latest-for-pair and latest-for-base of the checked
  pairs, cycled, from many client addresses), nothing written;
* writes: the same load while every `interval` seconds a full scrape (every pair of the active
  currencies, a new instant) is written through rates.ingest.services.rates_upsert, whose commit
  bumps the cache versions. After each commit a checker reads the checked pairs twice (the first
  answer may be built by Django, the second is replayed from the cache) and compares each answer's
  rate and observed_at with the database's newest row of the pair: any other answer is stale;
* stream: the same, with `subscribers` SSE clients on the stream (each on one checked pair), and
  Redis restarted half-way. At the restart every other subscriber drops its connection and
  reconnects with Last-Event-ID (as a browser does when its connection breaks); the others stay
  connected (the server's own subscription must come back). At the end the writes stop, the
  writer's events held while Redis was down are published, and each subscriber is given until it
  has its pair's newest stored rate (at most SETTLE_SECONDS; the time taken is reported); then
  its events are compared with the replay log's for its pair since it first connected: none
  missing, none twice. (Counting while the writer still wrote, a scrape committed but not yet
  published, or held, made every subscriber look behind with nothing missing.)

Errors are answers other than 2xx/3xx, and socket errors, from wrk or the checker.
"""

import asyncio
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SETTLE_SECONDS = 30.0
HEADERS = {"X-Forwarded-Proto": "https"}  # as the TLS proxy in front of production sets it


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RedisServer:
    """A redis-server of this run's own on a free port, data in `directory`, restartable."""

    def __init__(self, directory: Path) -> None:
        self.directory, self.port = directory, free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        # The replay log (a Redis Stream) survives a restart only with persistence: AOF, fsync
        # on every write here, so that even a kill loses nothing (docs/deploy.md).
        command = [
            shutil.which("redis-server") or "redis-server",
            *("--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.directory)),
            *("--save", "", "--appendonly", "yes", "--appendfsync", "always"),
        ]
        log = (self.directory / "redis.log").open("ab")
        self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(64).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not come up")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(15)

    def restart(self, down_seconds: float, while_down=None) -> None:
        self.stop()
        started = time.monotonic()
        if while_down is not None:
            while_down()
        time.sleep(max(0.0, down_seconds - (time.monotonic() - started)))
        self.start()


def server_env(redis_url: str, web_port: int, stream_port: int, replay_length: int) -> dict:
    return {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": os.environ.get("SECRET_KEY") or "reliability-load-" + "x" * 40,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "KOEL_TRUST_X_FORWARDED_PROTO": "1",
        "KOEL_ANON_RATE": "100000000/minute",
        "KOEL_NUM_PROXIES": "1",
        "KOEL_CACHE_PREFIX": "koel-reliability-load",
        "KOEL_HOST": "127.0.0.1",
        "KOEL_PORT": str(web_port),
        "KOEL_STREAM_PORT": str(stream_port),
        "KOEL_STREAM_HEARTBEAT_SECONDS": "2",
        "KOEL_STREAM_REPLAY_LENGTH": str(replay_length),
        "REDIS_URL": redis_url,
        "PYTHONPATH": str(ROOT),
    }


@contextmanager
def servers(env: dict, workdir: Path):
    """The web and stream servers as production starts them; yields their base URLs."""
    from koel import stack

    commands = stack.processes(env)
    children = {}
    try:
        for name in ("web", "stream"):
            log = (workdir / f"{name}.log").open("wb")
            children[name] = subprocess.Popen(
                commands[name],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        web = f"http://127.0.0.1:{env['KOEL_PORT']}"
        streams = f"http://127.0.0.1:{env['KOEL_STREAM_PORT']}"
        for url in (web, streams):
            if not stack.wait_healthy(f"{url}/healthz", children):
                logs = {
                    n: (workdir / f"{n}.log").read_text(errors="replace")[-1500:] for n in children
                }
                raise RuntimeError(f"a server did not come up: {logs}")
        yield web, streams
    finally:
        for child in children.values():
            if child.poll() is None:
                os.killpg(child.pid, signal.SIGTERM)
        for child in children.values():
            try:
                child.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(child.pid, signal.SIGKILL)
                child.wait()


# --- the API load ----------------------------------------------------------------------------


def wrk(base: str, paths_file: Path, seconds: float, connections: int) -> dict:
    env = {
        **os.environ,
        "BENCH_HEADERS": "|".join(f"{k}: {v}" for k, v in HEADERS.items()),
        "BENCH_CLIENTS": "1000",
        "BENCH_VARY": "paths",
        "BENCH_PATHS": str(paths_file),
        "BENCH_THREADS": "2",
    }
    command = ["wrk", "-t2", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--timeout", "10s"]
    command += ["-s", str(ROOT / "bench" / "api.lua"), f"{base}/healthz"]
    out = subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout
    line = next(x for x in out.splitlines() if x.startswith("BENCH "))
    return json.loads(line.removeprefix("BENCH "))


def get(url: str) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers=HEADERS)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - ours
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()
    except OSError as error:
        return 0, str(error).encode()


# --- writes and the stale-read checker -------------------------------------------------------


@dataclass
class WriteLog:
    ingests: int = 0
    ingest_failures: list[str] = field(default_factory=list)
    ingest_seconds: list[float] = field(default_factory=list)
    reads: int = 0
    stale: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


class Writer:
    """Every `interval` seconds a full scrape written through the service, then the checker."""

    SOURCE = "yahoo"

    def __init__(self, base: str, pairs, checked, interval: float, log: WriteLog) -> None:
        self.base, self.pairs, self.checked, self.interval = base, pairs, checked, interval
        self.log = log
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, name="load-writer", daemon=True)

    def __enter__(self) -> "Writer":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.finish()

    def finish(self) -> None:
        """No more ingests; returns once the last one (and its check) is done and every event
        written is published (those held while Redis was down included)."""
        from monitor.stream.publish import events_held

        self.stop.set()
        self.thread.join()
        deadline = time.monotonic() + SETTLE_SECONDS
        while events_held() and time.monotonic() < deadline:
            time.sleep(0.1)

    def run(self) -> None:
        from django.db import connection

        try:
            while not self.stop.is_set():
                started = time.monotonic()
                self.ingest_and_check()
                self.stop.wait(max(0.0, self.interval - (time.monotonic() - started)))
        finally:
            connection.close()

    def outage_ingest(self) -> None:
        """One ingest while Redis is down (from the caller's thread): it must commit."""
        from django.db import connection

        try:
            self.ingest_and_check(check=False)
        finally:
            connection.close()

    def outage_check(self, log: WriteLog) -> None:
        """The checker once Redis is back, before the next ingest bumps anything again."""
        from django.db import connection

        try:
            self.check(log)
        finally:
            connection.close()

    def ingest_and_check(self, *, check: bool = True) -> None:
        from rates.ingest.services import rates_upsert
        from rates.types import RateRow

        moment = datetime.now(UTC).replace(microsecond=0)
        salt = self.log.ingests + 1
        rows = [
            RateRow(b, t, Decimal(f"{0.5 + (i * 7 + salt) % 997 / 997:.6f}"), moment)
            for i, (b, t) in enumerate(self.pairs)
        ]
        started = time.monotonic()
        try:
            rates_upsert(source=self.SOURCE, rows=rows)
        except Exception as exc:
            self.log.ingest_failures.append(f"{type(exc).__name__}: {exc}"[:200])
            return
        self.log.ingest_seconds.append(time.monotonic() - started)
        self.log.ingests += 1
        if check:
            self.check(self.log)

    def check(self, log: WriteLog) -> None:
        """Each checked pair read twice (built, then replayed) against its newest stored row.
        An answer newer than the row read before it is the write of another thread (the
        outage's ingest) committed meanwhile: it is stale only if it is not the newest row
        read again after it either."""
        for base, target in self.checked:
            newest = newest_row(base, target)
            for attempt in ("built", "replayed"):
                url = f"{self.base}/api/v1/rates/?base={base}&target={target}"
                status, body = get(url)
                log.reads += 1
                if not 200 <= status < 400:
                    log.errors.append(f"{status} {url}: {body[:120]!r}")
                    continue
                answer = answer_of(json.loads(body), target)
                seen = (Decimal(answer["rate"]), datetime.fromisoformat(answer["observed_at"]))
                if seen != newest:
                    newest = newest_row(base, target)
                if seen != newest:
                    log.stale.append(f"{base}/{target} ({attempt}): {seen} but stored {newest}")


def newest_row(base: str, target: str) -> tuple[Decimal, datetime] | None:
    from rates.models import ExchangeRate

    return (
        ExchangeRate.objects.filter(base_id=base, target_id=target)
        .order_by("-observed_at")
        .values_list("rate", "observed_at")
        .first()
    )


def answer_of(body: dict, target: str) -> dict:
    """The pair's rate and observed_at in a latest-for-pair answer."""
    if "rates" in body:
        rates = body["rates"]
        found = rates[target] if isinstance(rates, dict) else rates[0]
        if isinstance(found, dict):
            return {
                "rate": found["rate"],
                "observed_at": found.get("observed_at", body.get("observed_at")),
            }
        return {"rate": found, "observed_at": body["observed_at"]}
    return body


# --- stream subscribers ----------------------------------------------------------------------


@dataclass
class Subscription:
    pair: str
    start: str  # the log's newest id when it first connected: it is owed everything after
    ids: list[str] = field(default_factory=list)
    newest: dict | None = None  # the data of the last event received
    connects: int = 0
    refused: int = 0
    drop: asyncio.Event | None = None


async def subscribe(base: str, sub: Subscription, number: int, stop: asyncio.Event) -> None:
    """Read the stream, reconnecting with Last-Event-ID whenever it ends, fails or is dropped."""
    host, port = base.removeprefix("http://").split(":")
    address = f"10.88.{number // 250}.{number % 250 + 1}"
    while not stop.is_set():
        last = sub.ids[-1] if sub.ids else sub.start
        try:
            reader, writer = await asyncio.open_connection(host, int(port))
        except OSError:
            sub.refused += 1
            await asyncio.sleep(0.5)
            continue
        request = (
            f"GET /api/v1/stream/?pairs={sub.pair} HTTP/1.1\r\nHost: {host}:{port}\r\n"
            f"Accept: text/event-stream\r\nX-Forwarded-For: {address}\r\n"
            f"X-Forwarded-Proto: https\r\nLast-Event-ID: {last}\r\n\r\n"
        )
        writer.write(request.encode())
        try:
            status = await reader.readline()
            if b" 200 " not in status:
                sub.refused += 1
                await asyncio.sleep(0.5)
                continue
            sub.connects += 1
            await read_events(reader, sub, stop)
        except (OSError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()
        if not stop.is_set():
            await asyncio.sleep(random.uniform(0.1, 0.5))  # noqa: S311 - jitter


async def read_events(reader: asyncio.StreamReader, sub: Subscription, stop: asyncio.Event):
    """Lines until the stream ends, the run stops or the subscription is told to drop."""
    while True:
        waits = {asyncio.ensure_future(reader.readline()), asyncio.ensure_future(stop.wait())}
        if sub.drop is not None:
            waits.add(asyncio.ensure_future(sub.drop.wait()))
        done, pending = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
        line = next((t.result() for t in done if isinstance(t.result(), bytes)), None)
        if line is None or (line == b"" and reader.at_eof()):
            if sub.drop is not None and sub.drop.is_set():
                sub.drop = None  # dropped once, at the restart
            return
        if line.startswith(b"id: "):
            sub.ids.append(line[4:].strip().decode())
        elif line.startswith(b"data: "):
            sub.newest = json.loads(line[6:])


def logged_ids(redis_url: str) -> dict[str, list[tuple[str, tuple[int, int]]]]:
    """The replay log's ids per pair, oldest first."""
    import redis

    from monitor.stream.events import id_order
    from monitor.stream.publish import log_key

    by_pair: dict[str, list] = {}
    client = redis.Redis.from_url(redis_url)
    for entry_id, fields in client.xrange(log_key()):
        ident = entry_id.decode()
        by_pair.setdefault(fields[b"pair"].decode(), []).append((ident, id_order(ident)))
    return by_pair


def newest_id(redis_url: str) -> str:
    import redis

    from monitor.stream.publish import log_key

    entries = redis.Redis.from_url(redis_url).xrevrange(log_key(), count=1)
    return entries[0][0].decode() if entries else "0-0"


@dataclass
class StreamResult:
    subscribers: int
    events: int = 0
    missing: int = 0
    doubled: int = 0
    behind: int = 0  # subscribers whose last event is not their pair's newest stored rate
    reconnected: int = 0
    refused: int = 0
    settled: float = 0.0  # seconds from the last write's publication until all had their newest
    examples: list[str] = field(default_factory=list)


def stored_newest(pairs) -> dict[str, tuple[Decimal, datetime] | None]:
    """Each pair's newest stored (rate, observed_at), read from an executor's thread."""
    from django.db import connection

    try:
        return {pair: newest_row(*pair.split("/")) for pair in pairs}
    finally:
        connection.close()


def seen_newest(sub: Subscription) -> tuple[Decimal, datetime] | None:
    return sub.newest and (
        Decimal(sub.newest["rate"]),
        datetime.fromisoformat(sub.newest["observed_at"]),
    )


async def settled(subs: list[Subscription], stored: dict) -> float:
    """Seconds until every subscriber had its pair's newest stored rate (SETTLE_SECONDS at
    most)."""
    started = time.monotonic()
    while time.monotonic() - started < SETTLE_SECONDS:
        if all(seen_newest(sub) == stored[sub.pair] for sub in subs):
            break
        await asyncio.sleep(0.1)
    return time.monotonic() - started


def compare(subs: list[Subscription], logged, stored: dict) -> StreamResult:
    from monitor.stream.events import id_order

    result = StreamResult(len(subs))
    for sub in subs:
        seen = seen_newest(sub)
        if seen != stored[sub.pair]:
            result.behind += 1
            if len(result.examples) < 5:
                result.examples.append(f"{sub.pair}: last event {seen}, stored {stored[sub.pair]}")
        start = id_order(sub.start)
        owed = [ident for ident, order in logged.get(sub.pair, []) if order > start]
        got = set(sub.ids)
        missing = [ident for ident in owed if ident not in got]
        result.events += len(sub.ids)
        result.missing += len(missing)
        result.doubled += len(sub.ids) - len(got)
        result.reconnected += sub.connects > 1
        result.refused += sub.refused
        if missing and len(result.examples) < 5:
            result.examples.append(f"{sub.pair}: {len(missing)} of {len(owed)} missing")
    return result


def run_subscribers(
    base: str,
    redis: RedisServer,
    pairs: list[str],
    count: int,
    seconds: float,
    restart_at: float,
    down_seconds: float,
    while_down,
    once_back,
    finish,
) -> StreamResult:
    """`count` subscribers for `seconds`, Redis restarted after `restart_at` seconds; then
    `finish()` (the writes end) and the subscribers are given time to receive the last."""
    stored: dict = {}
    waited: list[float] = []

    async def main() -> list[Subscription]:
        stop = asyncio.Event()
        start = newest_id(redis.url)
        subs = [Subscription(pairs[i % len(pairs)], start) for i in range(count)]
        for i, sub in enumerate(subs):
            if i % 2 == 0:
                sub.drop = asyncio.Event()
        tasks = [asyncio.create_task(subscribe(base, s, i, stop)) for i, s in enumerate(subs)]
        await asyncio.sleep(restart_at)
        loop = asyncio.get_running_loop()
        restart = loop.run_in_executor(None, redis.restart, down_seconds, while_down)
        await asyncio.sleep(0.2)
        for sub in subs:
            if sub.drop is not None:
                sub.drop.set()
        await restart
        await asyncio.sleep(2)  # Redis answers again; processes notice it within a second
        await loop.run_in_executor(None, once_back)
        await asyncio.sleep(max(0.0, seconds - restart_at - down_seconds))
        await loop.run_in_executor(None, finish)
        stored.update(await loop.run_in_executor(None, stored_newest, set(pairs)))
        waited.append(await settled(subs, stored))
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
        return subs

    subs = asyncio.run(main())
    result = compare(subs, logged_ids(redis.url), stored)
    result.settled = waited[0]
    return result


# --- the run ---------------------------------------------------------------------------------


def load_average() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def main(
    *,
    seconds: float,
    interval: float,
    subscribers: int,
    currencies: int,
    checked: int,
    connections: int,
) -> int:
    """The three phases; prints the table; the number of goals missed."""
    workdir = Path(tempfile.mkdtemp(prefix="koel-load-"))
    redis = RedisServer(workdir)
    redis.start()
    try:
        env = server_env(redis.url, free_port(), free_port(), replay_length=1_000_000)
        os.environ.update(
            {
                k: env[k]
                for k in (
                    "REDIS_URL",
                    "KOEL_CACHE_PREFIX",
                    "SECRET_KEY",
                    "DEBUG",
                    "KOEL_STREAM_REPLAY_LENGTH",
                )
            }
        )
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "koel.settings")
        import django

        django.setup()
        return measure(
            env, workdir, redis, seconds, interval, subscribers, currencies, checked, connections
        )
    finally:
        redis.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def measure(env, workdir, redis, seconds, interval, subscribers, currencies, checked, connections):
    from bench.django_env import ensure_database_ready, run_line
    from rates.models import Currency

    ensure_database_ready()
    codes = list(
        Currency.objects.filter(active=True).order_by("code").values_list("code", flat=True)
    )[:currencies]
    pairs = [(b, t) for b in codes for t in codes if b != t]
    step = max(1, len(pairs) // checked)
    sample = pairs[::step][:checked]
    paths = [f"/api/v1/rates/?base={b}&target={t}" for b, t in sample]
    paths += [f"/api/v1/rates/?base={b}" for b in codes[:4]]
    paths_file = workdir / "paths.txt"
    paths_file.write_text("\n".join(paths) + "\n")
    print(run_line(), flush=True)
    print(
        f"{len(codes)} currencies, {len(pairs):,} pairs per ingest, every {interval:g} s; "
        f"{len(sample)} pairs checked; wrk -c{connections}, {seconds:g} s per phase",
        flush=True,
    )
    with servers(env, workdir) as (web, streams):
        writes = WriteLog()
        Writer(web, pairs, sample, interval, writes).ingest_and_check()  # a first row per pair
        baseline = wrk(web, paths_file, seconds, connections)
        load_baseline = load_average()
        with Writer(web, pairs, sample, interval, writes):
            written = wrk(web, paths_file, seconds, connections)
        load_written = load_average()
        stream_writes, after_outage = WriteLog(), WriteLog()
        result_box: list[StreamResult] = []
        with Writer(web, pairs, sample, interval, stream_writes) as writer:
            loader = threading.Thread(
                target=lambda: result_box.append(wrk(web, paths_file, seconds, connections))
            )
            loader.start()
            stream = run_subscribers(
                streams,
                redis,
                [f"{b}/{t}" for b, t in sample],
                subscribers,
                seconds,
                restart_at=seconds / 2,
                down_seconds=2.0,
                while_down=writer.outage_ingest,
                once_back=lambda: writer.outage_check(after_outage),
                finish=writer.finish,
            )
            loader.join()
        streamed = result_box[0]
        load_stream = load_average()
    return report(
        baseline,
        written,
        streamed,
        writes,
        stream_writes,
        after_outage,
        stream,
        (load_baseline, load_written, load_stream),
    )


def errors_of(run: dict) -> int:
    return sum(run[k] for k in ("connect", "read", "write", "status", "timeout"))


def report(baseline, written, streamed, writes, stream_writes, after_outage, stream, loads) -> int:
    print()
    print(f"{'phase':<34}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}  ratio  load")
    for (name, run), load in zip(
        (
            ("baseline (no writes)", baseline),
            ("ingests + invalidations", written),
            ("+ subscribers, Redis restarted", streamed),
        ),
        loads,
        strict=True,
    ):
        rate = run["requests"] / (run["duration_us"] / 1e6)
        ratio = rate / (baseline["requests"] / (baseline["duration_us"] / 1e6))
        print(
            f"{name:<34}{rate:>9.0f}{run['p50_us'] / 1000:>9.1f}{run['p99_us'] / 1000:>9.1f}"
            f"{errors_of(run):>8}  {ratio:>4.0%}  {load}"
        )
    ingest = sorted(writes.ingest_seconds)
    print(
        f"ingests: {writes.ingests} + {stream_writes.ingests} committed "
        f"(median {ingest[len(ingest) // 2] if ingest else 0:.2f} s), failed: "
        f"{len(writes.ingest_failures)} + {len(stream_writes.ingest_failures)}"
    )
    print(
        f"checker: {writes.reads} + {stream_writes.reads} reads, stale "
        f"{len(writes.stale)} + {len(stream_writes.stale)}, errors "
        f"{len(writes.errors)} + {len(stream_writes.errors)}"
    )
    print(
        f"checker once Redis was back: {after_outage.reads} reads, stale "
        f"{len(after_outage.stale)}, errors {len(after_outage.errors)}"
    )
    print(
        f"stream: {stream.subscribers} subscribers, {stream.events} events received, "
        f"{stream.missing} missing, {stream.doubled} twice, {stream.reconnected} reconnected, "
        f"{stream.refused} openings refused or failed, {stream.behind} not at the newest rate "
        f"({stream.settled:.1f} s after the writes ended)"
    )
    for line in (
        writes.stale
        + stream_writes.stale
        + after_outage.stale
        + writes.errors
        + stream_writes.errors
        + after_outage.errors
        + writes.ingest_failures
        + stream_writes.ingest_failures
        + stream.examples
    )[:10]:
        print(f"  {line}")
    goals = {
        "zero API errors without Redis restarts": errors_of(baseline)
        + errors_of(written)
        + len(writes.errors)
        == 0,
        "no stale read (Redis up)": not writes.stale,
        "no stale read around the Redis restart": not stream_writes.stale
        and not after_outage.stale
        and after_outage.reads > 0,
        "every ingest committed (Redis up)": not writes.ingest_failures and writes.ingests > 1,
        "no event missed or doubled": stream.missing == 0
        and stream.doubled == 0
        and stream.events > 0,
        "every subscriber ends at its pair's newest rate": stream.behind == 0,
        "every dropped subscriber reconnected": stream.reconnected >= stream.subscribers // 2,
    }
    for goal, met in goals.items():
        print(f"goal: {goal}: {'met' if met else 'NOT met'}")
    return sum(not met for met in goals.values())
