"""HTTP benchmark: Koel's API under the production server, against a bare Django view and nginx.

What is measured, in one run on this machine:

* the server: granian started exactly as in production (`koel.stack.processes()["web"]`, the
  command docker/entrypoint.sh runs: WSGI interface, WEB_WORKERS=2 workers, WEB_BACKPRESSURE=16,
  WEB_THREADS=2 Python threads per worker; koel.wsgi replays cached answers before Django) with
  DEBUG=0, a SECRET_KEY, ALLOWED_HOSTS=127.0.0.1,localhost and production's HTTPS settings
  behind a TLS proxy (KOEL_TRUST_X_FORWARDED_PROTO=1, every request says X-Forwarded-Proto:
  https). Its settings module is bench/api_settings.py: koel.settings with the URLconf
  bench/api_urls.py, which is koel.urls plus `/bench/bare`;
* the load: wrk, 2 threads and 32 connections, 15 s per URL, driven by bench/api.lua;
* Koel's endpoints, each cached (the same URL every time: the answer comes from Redis after the
  first request) and uncached (one parameter different on every request, so every request
  builds its answer and stores it):
    - latest-for-pair   /api/v1/rates/?base=USD&target=EUR        (uncached: &amount=<n>)
    - latest-for-base   /api/v1/rates/?base=USD                   (uncached: &amount=<n>)
    - 1-year history    /api/v1/rates/history/?base=EUR&target=USD&interval=day&start=..&end=..
                        ending on the newest ECB day (uncached: the year slides by one day per
                        request through the ECB history)
    - Frankfurter       /v1/latest                                (uncached: ?base=EUR&amount=<n>)
      Frankfurter answers 404 once the newest ECB rates are over 14 days old (the bundled
      history ends in the past): then /v1/<newest ECB day> is measured, the same view path;
* baselines in the same run, as ratios: `/bench/bare` on the same server (a plain Django view
  answering the bytes of the cached latest-for-pair response: the same middleware, no DRF, no
  cache, no database) and nginx serving the same bytes as a static file (2 workers, access log
  off, like granian), started as a child process from a config in a temporary directory;
* CPU: per run, the CPU seconds of granian's processes, nginx, redis-server and PostgreSQL (all
  their processes, whoever asked), wrk, and the whole machine, from /proc: CPU ms per request
  does not depend on what else runs on the machine the way requests/s does.

Goal: latest-for-pair (cached) >= 60% of the bare Django view's requests/s, p99 <= 10 ms.

Anonymous clients are throttled (DRF, KOEL_ANON_RATE per client address): the server runs with
KOEL_ANON_RATE=100000000/minute so that nothing is refused, and each request carries an
X-Forwarded-For address from a pool of --clients (10,000) addresses, which DRF takes as the
client's identity: every client's throttle history stays short, as in production where a client
is cut off at 120/minute. One more row, "one client", repeats latest-for-pair without
X-Forwarded-For: every request reads and rewrites the same client's throttle history.

The database in DATABASE_URL needs the ECB history (`manage.py bootstrap` imports it; the
script runs it, or import_ecb_history, when it is missing). The server's cache entries use their
own key prefix (KOEL_CACHE_PREFIX=koel-bench-api) in the Redis of REDIS_URL; they are deleted
before the run, after every uncached run (a year of history is ~45 kB an answer) and at the end.
With --profile S, every endpoint is then also called in-process through Django's WSGI handler
(no HTTP) for about S seconds: wall and CPU time per request, where the time goes (timers around
the stages of a request; Redis commands and SQL statements) and whose code the CPU runs
(cProfile by package). Needs wrk and nginx (Debian: apt-get install -y wrk nginx). Run from the
project root:

    DATABASE_URL=postgres://... REDIS_URL=redis://... .venv/bin/python bench/api.py
"""

import os
import secrets
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CACHE_PREFIX = "koel-bench-api"
# The server's environment on top of the caller's; this process sets up Django with it too, so
# that set-up and --profile see the server's settings.
SERVER_ENV = {
    "DJANGO_SETTINGS_MODULE": "bench.api_settings",
    "DEBUG": "0",
    "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "127.0.0.1,localhost",
    "KOEL_TRUST_X_FORWARDED_PROTO": "1",
    "KOEL_ANON_RATE": "100000000/minute",
    "KOEL_NUM_PROXIES": "1",  # as behind the proxy of docs/deploy.md: X-Forwarded-For names clients
    "KOEL_CACHE_PREFIX": CACHE_PREFIX,
}
os.environ.update(SERVER_ENV)

import django  # noqa: E402

django.setup()

import argparse  # noqa: E402
import cProfile  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import pstats  # noqa: E402
import resource  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import urllib.error  # noqa: E402
import urllib.request  # noqa: E402
from collections import defaultdict  # noqa: E402
from contextlib import ExitStack, contextmanager  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from datetime import UTC, date, datetime, timedelta  # noqa: E402
from functools import wraps  # noqa: E402

from django.core.cache import cache  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.migrations.executor import MigrationExecutor  # noqa: E402
from django.db.models import Max  # noqa: E402

from koel import stack  # noqa: E402
from rates.models import Currency, LatestRates  # noqa: E402

HEADERS = {"X-Forwarded-Proto": "https"}  # as the TLS proxy in front of production sets it
LUA = ROOT / "bench" / "api.lua"
GOAL_RATIO, GOAL_P99_MS = 0.60, 10.0
PAIR = "/api/v1/rates/?base=USD&target=EUR"
PAIR_NAME = "latest-for-pair"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--duration", type=int, default=15, help="seconds per URL (default 15)")
    parser.add_argument("--connections", type=int, default=32, help="wrk -c (default 32)")
    parser.add_argument("--threads", type=int, default=2, help="wrk -t (default 2)")
    parser.add_argument(
        "--rounds", type=int, default=1, help="run every URL this many times; medians (default 1)"
    )
    parser.add_argument(
        "--clients", type=int, default=10_000, help="X-Forwarded-For pool size (default 10000)"
    )
    parser.add_argument(
        "--only", default="", help="comma-separated row names (substrings) to run; baselines always"
    )
    parser.add_argument(
        "--profile",
        type=float,
        default=0,
        metavar="S",
        help="then profile every endpoint in-process for about S seconds (default: no)",
    )
    return parser.parse_args()


# --- set-up ----------------------------------------------------------------------------------


def require_tools() -> dict[str, str]:
    """wrk, nginx and granian, or exit naming the package that provides them."""
    found = {
        "wrk": shutil.which("wrk"),
        "nginx": shutil.which("nginx")
        or next(
            (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if os.access(p, os.X_OK)),
            None,
        ),
        "granian": shutil.which("granian", path=str(Path(sys.executable).parent)),
    }
    packages = {"wrk": "the Debian package wrk", "nginx": "the Debian package nginx"}
    missing = [name for name, path in found.items() if not path]
    if missing:
        hints = "; ".join(
            f"{name}: install {packages[name]} (apt-get install -y {name})"
            if name in packages
            else f"{name}: pip install -r requirements/base.txt into this virtualenv"
            for name in missing
        )
        sys.exit(f"Missing {', '.join(missing)}. {hints}")
    return found


def ensure_database_ready() -> date:
    """Exit unless migrations are applied; load currencies and the ECB history if missing.
    Returns the newest day of ECB rates (the history window ends there)."""
    executor = MigrationExecutor(connection)
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        sys.exit("Unapplied migrations: run `manage.py migrate` against this database first.")
    if not Currency.objects.exists():
        call_command("bootstrap")
    newest = LatestRates.objects.filter(source_id="ecb").aggregate(Max("newest"))["newest__max"]
    if newest is None:
        call_command("import_ecb_history")
        newest = LatestRates.objects.filter(source_id="ecb").aggregate(Max("newest"))["newest__max"]
    if newest is None:
        sys.exit("No ECB rates after import_ecb_history: this benchmark needs the ECB history.")
    return newest.astimezone(UTC).date()


def clear_cache() -> int:
    """Delete every key of the server's cache prefix (answers, versions, throttle histories)."""
    client = cache.client.get_client(write=True)
    deleted, batch = 0, []
    for key in client.scan_iter(match=f"{CACHE_PREFIX}:*", count=1000):
        batch.append(key)
        if len(batch) == 1000:
            deleted += client.delete(*batch)
            batch = []
    if batch:
        deleted += client.delete(*batch)
    return deleted


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(url: str, headers: dict | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers={**HEADERS, **(headers or {})})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - ours
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def stop_child(child: subprocess.Popen) -> None:
    """Stop a child started in its own session (and whatever it spawned)."""
    if child.poll() is None:
        os.killpg(child.pid, signal.SIGTERM)
        try:
            child.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()


@contextmanager
def granian_server(port: int, workdir: Path, body_file: Path):
    """The production web command on `port`, with the bench settings; yields its command."""
    env = {
        **os.environ,
        **SERVER_ENV,
        "KOEL_HOST": "127.0.0.1",
        "KOEL_PORT": str(port),
        "KOEL_BENCH_BARE_BODY": str(body_file),
    }
    command = stack.processes(env)["web"]
    log = (workdir / "granian.log").open("wb")
    child = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        if not stack.wait_healthy(f"http://127.0.0.1:{port}/healthz", {"web": child}):
            tail = (workdir / "granian.log").read_text(errors="replace")[-2000:]
            sys.exit(f"granian did not come up; its log ends:\n{tail}")
        yield command, child.pid
    finally:
        stop_child(child)
        log.close()


NGINX_CONF = """\
worker_processes {workers};
daemon off;
pid {dir}/nginx.pid;
error_log {dir}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {dir}/nginx-body;
    proxy_temp_path {dir}/nginx-proxy;
    fastcgi_temp_path {dir}/nginx-fastcgi;
    uwsgi_temp_path {dir}/nginx-uwsgi;
    scgi_temp_path {dir}/nginx-scgi;
    server {{
        listen 127.0.0.1:{port};
        root {dir}/www;
        location / {{ default_type application/json; }}
    }}
}}
"""


@contextmanager
def nginx_server(binary: str, port: int, workdir: Path, workers: int):
    """nginx in the foreground, its config, pid and logs in `workdir`; serves workdir/www."""
    conf = workdir / "nginx.conf"
    conf.write_text(NGINX_CONF.format(workers=workers, dir=workdir, port=port))
    command = [binary, "-e", str(workdir / "nginx-error.log"), "-p", str(workdir), "-c", str(conf)]
    with (workdir / "nginx-stderr.log").open("wb") as stderr:
        child = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=stderr, start_new_session=True
        )
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and child.poll() is None:
            try:
                if get(f"http://127.0.0.1:{port}/")[0] in (200, 403, 404):
                    break
            except OSError:
                time.sleep(0.1)
        if child.poll() is not None:
            sys.exit(f"nginx exited: {(workdir / 'nginx-stderr.log').read_text()[-2000:]}")
        yield child.pid
    finally:
        stop_child(child)


# --- targets and runs ------------------------------------------------------------------------


@dataclass
class Target:
    name: str
    short: str  # column title of the profile
    url: str  # full URL (for "window": without start/end)
    vary: str = ""  # "", "amount", "window" (bench/api.lua)
    clients: int = 0  # X-Forwarded-For pool; 0: none
    koel: bool = True  # False: a baseline
    note: str = ""
    runs: list[dict] = field(default_factory=list)

    def median(self, key: str) -> float:
        return statistics.median(run[key] for run in self.runs)

    @property
    def rps(self) -> float:
        return self.median("rps")


def history_params(newest: date) -> tuple[str, date, int]:
    """The cached history's query (the year ending on the newest ECB day), the first start day
    of the uncached windows and how many distinct year-long windows the history holds."""
    start = newest - timedelta(days=365)
    first = date(1999, 1, 4)
    windows = (newest - timedelta(days=365) - first).days + 1
    query = f"start={start}&end={newest}"
    return query, first, windows


def targets(base: str, nginx: str, history_query: str, clients: int) -> list[Target]:
    """nginx and the bare view first (the ratios' denominators), then Koel's endpoints."""
    pair, for_base = f"{base}{PAIR}", f"{base}/api/v1/rates/?base=USD"
    history = f"{base}/api/v1/rates/history/?base=EUR&target=USD&interval=day"
    frankfurter = f"{base}/v1/latest"
    n = clients
    return [
        Target("nginx static (same bytes)", "nginx", f"{nginx}/pair.json", koel=False),
        Target("bare Django view (same bytes)", "bare view", f"{base}/bench/bare", koel=False),
        Target(f"{PAIR_NAME} (cached)", "pair", pair, clients=n),
        Target(f"{PAIR_NAME} (uncached)", "pair miss", pair, vary="amount", clients=n),
        Target("latest-for-base (cached)", "base", for_base, clients=n),
        Target("latest-for-base (uncached)", "base miss", for_base, vary="amount", clients=n),
        Target("history 1y daily (cached)", "history", f"{history}&{history_query}", clients=n),
        Target("history 1y daily (uncached)", "hist miss", history, vary="window", clients=n),
        Target("frankfurter /v1/latest (cached)", "ff latest", frankfurter, clients=n),
        Target(
            "frankfurter /v1/latest (uncached)",
            "ff miss",
            f"{frankfurter}?base=EUR",
            vary="amount",
            clients=n,
        ),
        Target(f"{PAIR_NAME} (cached), one client", "pair 1 cl.", pair),
    ]


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_by_process() -> dict[int, tuple[str, int, float]]:
    """pid -> (command name, parent pid, CPU seconds so far, all threads) from /proc."""
    found = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            raw = Path(entry.path, "stat").read_text()
        except OSError:
            continue
        name, rest = raw[raw.index("(") + 1 : raw.rindex(")")], raw[raw.rindex(")") + 2 :].split()
        found[int(entry.name)] = (name, int(rest[1]), (int(rest[11]) + int(rest[12])) / CLOCK_TICKS)
    return found


def cpu_machine() -> tuple[float, float]:
    """(all CPU seconds, busy CPU seconds) since boot, over every CPU."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    return sum(values) / CLOCK_TICKS, (sum(values) - values[3] - values[4]) / CLOCK_TICKS


class CpuMeter:
    """CPU seconds used by the server's and nginx's process trees, redis-server and PostgreSQL
    processes, and the whole machine; wrk's come from getrusage (it is a waited-for child)."""

    def __init__(self, roots: dict[str, int]) -> None:
        self.roots = roots

    def snapshot(self) -> dict[str, float]:
        procs = cpu_by_process()
        children: dict[int, list[int]] = defaultdict(list)
        for pid, (_, ppid, _) in procs.items():
            children[ppid].append(pid)
        totals: dict[str, float] = {}
        for group, root in self.roots.items():
            stack_, seconds = [root], 0.0
            while stack_:
                pid = stack_.pop()
                seconds += procs[pid][2] if pid in procs else 0.0
                stack_ += children.get(pid, [])
            totals[group] = seconds
        totals["redis"] = sum(c for name, _, c in procs.values() if name.startswith("redis-server"))
        totals["postgres"] = sum(c for name, _, c in procs.values() if name == "postgres")
        totals["all"], totals["busy"] = cpu_machine()
        totals["wrk"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime
        totals["wrk"] += resource.getrusage(resource.RUSAGE_CHILDREN).ru_stime
        return totals


def cpu_figures(before: dict, after: dict, requests: int) -> dict:
    """ms of CPU per request for each group, and the machine's busy and others' share (%)."""
    delta = {k: after[k] - before[k] for k in after}
    ours = sum(delta[k] for k in ("server", "nginx", "redis", "postgres", "wrk"))
    figures = {
        f"cpu_{k}_ms": delta[k] / max(requests, 1) * 1e3
        for k in ("server", "nginx", "redis", "postgres", "wrk")
    }
    figures["busy_pct"] = 100 * delta["busy"] / delta["all"] if delta["all"] else 0.0
    figures["other_pct"] = (
        100 * max(delta["busy"] - ours, 0.0) / delta["all"] if delta["all"] else 0
    )
    return figures


def run_wrk(
    wrk: str, target: Target, args, first: date, windows: int, salt: int, meter: CpuMeter
) -> dict:
    env = {
        **os.environ,
        "BENCH_HEADERS": "|".join(f"{k}: {v}" for k, v in HEADERS.items()),
        "BENCH_CLIENTS": str(target.clients),
        "BENCH_VARY": target.vary,
        "BENCH_WINDOWS": str(windows),
        "BENCH_FIRST": str(
            int(datetime(first.year, first.month, first.day, tzinfo=UTC).timestamp())
        ),
        "BENCH_SALT": str(salt),
        "BENCH_THREADS": str(args.threads),
    }
    command = [
        wrk,
        f"-t{args.threads}",
        f"-c{args.connections}",
        f"-d{args.duration}s",
        "--timeout",
        "10s",
        "--latency",
        "-s",
        str(LUA),
        target.url,
    ]
    before = meter.snapshot()
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    after = meter.snapshot()
    line = next((x for x in done.stdout.splitlines() if x.startswith("BENCH ")), None)
    if done.returncode != 0 or line is None:
        sys.exit(f"wrk failed on {target.url}:\n{done.stdout}\n{done.stderr}")
    result = json.loads(line.removeprefix("BENCH "))
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    result["errors"] = sum(result[k] for k in ("connect", "read", "write", "status", "timeout"))
    result.update(cpu_figures(before, after, result["requests"]))
    return result


def warm_up(target: Target, newest: date) -> int:
    """One request to the target (for the varied ones, one of their URLs): fills the cache.
    Returns the status."""
    url = target.url
    if target.vary == "amount":
        url += "&amount=1"
    elif target.vary == "window":
        url += f"&start={newest - timedelta(days=730)}&end={newest - timedelta(days=365)}"
    return get(url)[0]


def loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


# --- in-process profile ----------------------------------------------------------------------


class Stages:
    """Inclusive time and call counts of a few functions, per request (perf_counter wrappers)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self._undo: list = []

    def wrap(self, owner, attribute: str, label: str) -> None:
        original = getattr(owner, attribute, None)
        if original is None:
            return

        @wraps(original)
        def timed(*args, **kwargs):
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.seconds[label] += time.perf_counter() - start
                self.calls[label] += 1

        setattr(owner, attribute, timed)
        self._undo.append((owner, attribute, original))

    def restore(self) -> None:
        for owner, attribute, original in reversed(self._undo):
            setattr(owner, attribute, original)
        self._undo.clear()


def instrument() -> Stages:
    import redis.client
    from django.core.handlers.wsgi import WSGIHandler
    from django.db.backends.utils import CursorWrapper
    from rest_framework.views import APIView

    import rates.api.answers
    import rates.api.views
    import rates.http.caching

    stages = Stages()
    cached_answer = rates.http.caching.cached_answer
    for module in [m for name, m in sys.modules.items() if name.startswith("rates.")]:
        if getattr(module, "cached_answer", None) is cached_answer:
            stages.wrap(module, "cached_answer", "cached_answer")
    stages.wrap(WSGIHandler, "__call__", "request")
    stages.wrap(APIView, "dispatch", "DRF dispatch")
    stages.wrap(APIView, "initial", "DRF initial")
    stages.wrap(APIView, "check_throttles", "throttle")
    stages.wrap(rates.api.views, "_params", "params")
    stages.wrap(rates.http.caching, "_key", "key")
    stages.wrap(rates.http.caching, "json_bytes", "encode")
    stages.wrap(rates.http.caching, "_response", "response")
    for name in ("rates_answer", "history_answer"):
        stages.wrap(rates.api.answers, name, "build")
    stages.wrap(redis.client.Redis, "execute_command", "redis")
    stages.wrap(redis.client.Pipeline, "execute", "redis")
    stages.wrap(CursorWrapper, "_execute_with_wrappers", "sql")
    return stages


STAGE_ROWS = [  # label, what, indent
    ("request", "whole request (WSGI handler)", 0),
    ("outside", "outside DRF: middleware, URLs, signals, plain views", 1),
    ("DRF dispatch", "DRF dispatch (the view)", 1),
    ("DRF initial", "auth, negotiation, throttle", 2),
    ("throttle", "throttle: Redis INCR of the client's window", 3),
    ("params", "parameter validation (serializer)", 2),
    ("cached_answer", "cached_answer", 2),
    ("key", "cache key: versions MGET", 3),
    ("build", "build the answer (miss)", 3),
    ("encode", "JSON encoding (miss)", 3),
    ("response", "HttpResponse, ETag", 3),
    ("redis", "Redis: ms (commands) in all the above", 1),
    ("sql", "SQL: ms (statements) in all the above", 1),
]


def profile(endpoints: list[Target], seconds: float, first: date, windows: int) -> None:
    """Each endpoint in this process: ms per request through koel.wsgi's stack (replay in
    front of Django) and through Django's WSGI handler alone, then Django's again with timers
    around the stages of a request (see STAGE_ROWS)."""
    from django.core.handlers.wsgi import WSGIHandler

    from rates.http.replay import ReplayApp

    app = WSGIHandler()
    replayed = ReplayApp(app)
    replays: list[tuple[float, float]] = []
    counter = [10**9]  # varied URLs never seen by the HTTP runs

    def call(target: Target, handler=app) -> str:
        counter[0] += 1
        n = counter[0]
        path, _, query = ("/" + target.url.split("://", 1)[1].split("/", 1)[1]).partition("?")
        if target.vary == "amount":
            query += f"&amount={n}"
        elif target.vary == "window":
            start = first + timedelta(days=n % windows)
            query += f"&start={start}&end={start + timedelta(days=365)}"
        environ = {
            "REQUEST_METHOD": "GET",
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8000",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            "HTTP_HOST": "127.0.0.1",
            "HTTP_X_FORWARDED_PROTO": "https",
            "wsgi.input": io.BytesIO(),
            "wsgi.errors": sys.stderr,
            "wsgi.url_scheme": "http",
            "wsgi.version": (1, 0),
            "wsgi.multithread": True,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
        }
        if target.clients:
            c = n % target.clients
            environ["HTTP_X_FORWARDED_FOR"] = f"10.{c // 65536 % 256}.{c // 256 % 256}.{c % 256}"
        status = []
        b"".join(handler(environ, lambda s, h, e=None: status.append(s)))
        return status[0]

    def loop(target: Target, budget: float, handler=app) -> tuple[int, float, float]:
        done, started, cpu = 0, time.perf_counter(), time.process_time()
        while time.perf_counter() - started < budget:
            status = call(target, handler)
            if not status.startswith("200"):
                sys.exit(f"{target.name}: {status} in-process")
            done += 1
        return done, time.perf_counter() - started, time.process_time() - cpu

    measured: list[tuple[float, float, Stages, int]] = []
    shares: list[dict[str, float]] = []
    for target in endpoints:
        loop(target, min(1.0, seconds / 4))  # warm: connections, the cached answer
        loop(target, min(0.5, seconds / 8), replayed)  # warm: the stored response
        r, replay_elapsed, replay_cpu = loop(target, seconds / 4, replayed)
        replays.append((replay_elapsed / r * 1e3, replay_cpu / r * 1e3))
        n, elapsed, cpu = loop(target, seconds / 2)
        stages = instrument()
        try:
            m, _, _ = loop(target, seconds / 2)
        finally:
            stages.restore()
        measured.append((elapsed / n * 1e3, cpu / n * 1e3, stages, m))
        profiler = cProfile.Profile(time.process_time)  # CPU time, not wall: waits excluded
        profiler.enable()
        try:
            loop(target, seconds / 4)
        finally:
            profiler.disable()
        shares.append(cpu_shares(profiler))

    width = 11
    print()
    print(
        f"in-process (no HTTP): koel.wsgi's stack, then Django's handler alone, "
        f"~{seconds:g} s per endpoint:"
    )
    print(f"{'ms per request':<52}" + "".join(f"{t.short:>{width}}" for t in endpoints))
    print(
        f"{'koel.wsgi (replay in front: hits skip Django)':<52}"
        + "".join(f"{p:>{width}.3f}" for p, _ in replays)
    )
    print(
        f"{'  of which CPU (this process)':<52}" + "".join(f"{c:>{width}.3f}" for _, c in replays)
    )
    print(
        f"{'Django alone (a miss, or what replay cannot serve)':<52}"
        + "".join(f"{p:>{width}.3f}" for p, _, _, _ in measured)
    )
    print(
        f"{'  of which CPU (this process)':<52}"
        + "".join(f"{c:>{width}.3f}" for _, c, _, _ in measured)
    )
    for label, what, indent in STAGE_ROWS:
        cells = []
        for _, _, stages, m in measured:
            seconds_ = stages.seconds
            if label == "outside":
                value = seconds_["request"] - seconds_.get("DRF dispatch", 0.0)
            elif label not in seconds_:
                cells.append(f"{'-':>{width}}")
                continue
            else:
                value = seconds_[label]
            ms = value / m * 1e3
            if label in ("redis", "sql"):
                cells.append(f"{ms:>{width - 5}.3f} ({stages.calls[label] / m:>2.0f})")
            else:
                cells.append(f"{ms:>{width}.3f}")
        print(f"{'  ' * indent + what:<52}" + "".join(cells))
    print("(rows after the first: with perf_counter timers around each stage, inclusive)")
    print()
    print(
        f"{'share of the CPU time (cProfile, own time)':<52}"
        + "".join(f"{t.short:>{width}}" for t in endpoints)
    )
    groups = sorted(
        {g for share in shares for g in share},
        key=lambda g: -max(share.get(g, 0.0) for share in shares),
    )
    for group in groups:
        if max(share.get(group, 0.0) for share in shares) >= 0.02:
            print(
                f"{group:<52}" + "".join(f"{share.get(group, 0.0):>{width}.0%}" for share in shares)
            )
    print("(groups under 2% everywhere left out)")


def cpu_shares(profiler: cProfile.Profile) -> dict[str, float]:
    """Own CPU time per package (site-packages/<name>, Koel's apps, the standard library, C
    built-ins: socket calls apart), as shares of the total."""
    stats = pstats.Stats(profiler).stats  # {(file, line, name): (cc, nc, tottime, cumtime, …)}
    stdlib = str(Path(os.__file__).parent)
    totals: dict[str, float] = defaultdict(float)
    for (filename, _, name), (_, _, own, _, _) in stats.items():
        if "site-packages/" in filename:
            group = filename.split("site-packages/", 1)[1].split("/", 1)[0]
        elif filename.startswith(str(ROOT)):
            group = "koel: " + filename.removeprefix(str(ROOT) + "/").split("/", 1)[0]
        elif filename.startswith(stdlib) or filename.startswith("<frozen"):
            group = "Python standard library"
        elif filename == "~" and "socket" in name:
            group = "socket calls (C)"
        elif filename == "~":
            group = "other C built-ins (getattr, isinstance, …)"
        else:
            group = filename
        totals[group] += own
    whole = sum(totals.values()) or 1.0
    return {group: own / whole for group, own in totals.items()}


# --- report ----------------------------------------------------------------------------------


def report(runs: list[Target], bare: Target, nginx: Target, rounds: int) -> None:
    print()
    print(
        f"{'endpoint':<36}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}"
        f"{'vs bare':>9}{'vs nginx':>9}{'requests':>10}{'errors':>8}{'B/resp':>8}"
        + (f"   (median of {rounds} rounds)" if rounds > 1 else "")
    )
    for t in runs:
        if not t.runs:
            print(f"{t.name:<36}  skipped: {t.note}")
            continue
        requests = sum(r["requests"] for r in t.runs)
        errors = sum(r["errors"] for r in t.runs)
        size = sum(r["bytes"] for r in t.runs) / max(requests, 1)
        print(
            f"{t.name:<36}{t.rps:>9,.0f}{t.median('p50_us') / 1e3:>9.2f}"
            f"{t.median('p99_us') / 1e3:>9.2f}{max(r['max_us'] for r in t.runs) / 1e3:>9.1f}"
            f"{t.rps / bare.rps:>9.0%}{t.rps / nginx.rps:>9.1%}{requests:>10,}{errors:>8,}"
            f"{size:>8,.0f}" + (f"   {t.note}" if t.note else "")
        )
    print()
    print(
        f"{'CPU per request (ms), machine':<36}{'server':>9}{'nginx':>9}{'redis':>9}"
        f"{'postgres':>9}{'wrk':>9}{'busy':>9}{'others':>9}"
    )
    for t in runs:
        if t.runs:
            print(
                f"{t.name:<36}"
                + "".join(
                    f"{t.median(f'cpu_{k}_ms'):>9.3f}"
                    for k in ("server", "nginx", "redis", "postgres", "wrk")
                )
                + f"{t.median('busy_pct'):>8.0f}%{t.median('other_pct'):>8.0f}%"
            )
    print(
        "(server: granian's processes; postgres and redis: all their processes, whoever asked;"
        " busy: all CPUs; others: busy minus all the columns)"
    )
    print()
    pair = next(t for t in runs if t.name == f"{PAIR_NAME} (cached)")
    if not pair.runs:
        return
    ratio, p99 = pair.rps / bare.rps, pair.median("p99_us") / 1e3
    print(
        f"{pair.name}: {ratio:.0%} of the bare Django view's req/s -> "
        f"{'met' if ratio >= GOAL_RATIO else 'NOT met'}; p99 {p99:.2f} ms -> "
        f"{'met' if p99 <= GOAL_P99_MS else 'NOT met'}"
    )
    print(
        f"goal: {PAIR_NAME} (cached) >= {GOAL_RATIO:.0%} of the bare view's req/s, p99 <= "
        f"{GOAL_P99_MS:g} ms"
    )


def main(args: argparse.Namespace) -> None:
    tools = require_tools()
    newest = ensure_database_ready()
    history_query, first, windows = history_params(newest)
    clear_cache()
    salt = int(time.time()) % 10**6 * 1000
    wrk_version = subprocess.run([tools["wrk"], "-v"], capture_output=True, text=True).stdout
    nginx_version = subprocess.run([tools["nginx"], "-v"], capture_output=True, text=True).stderr
    print(
        f"{os.cpu_count()} CPUs, load average {loadavg()}; {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; "
        f"{wrk_version.split(' [')[0].strip()}, {nginx_version.strip()}",
        flush=True,
    )
    print(
        f"wrk -t{args.threads} -c{args.connections} -d{args.duration}s per URL, "
        f"{args.clients:,} client addresses (X-Forwarded-For); ECB rates through {newest}",
        flush=True,
    )
    with ExitStack() as stack_, tempfile.TemporaryDirectory(prefix="koel-bench-api-") as tmp:
        workdir = Path(tmp)
        workdir.chmod(0o755)  # nginx's workers may run as another user
        (workdir / "www").mkdir(mode=0o755)
        body_file = workdir / "www" / "pair.json"
        port, nginx_port = free_port(), free_port()
        command, server_pid = stack_.enter_context(granian_server(port, workdir, body_file))
        print(f"server: granian {' '.join(command[1:])}", flush=True)
        base, nginx = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{nginx_port}"

        # The bytes of the cached latest-for-pair response, for the two baselines.
        status, body = get(f"{base}{PAIR}")
        status2, body2 = get(f"{base}{PAIR}")
        if (status, status2) != (200, 200) or body != body2:
            sys.exit(f"{PAIR} answered {status}/{status2} or two different bodies")
        body_file.write_bytes(body)
        body_file.chmod(0o644)
        workers = int(os.environ.get("WEB_WORKERS", "2"))
        nginx_pid = stack_.enter_context(nginx_server(tools["nginx"], nginx_port, workdir, workers))
        meter = CpuMeter({"server": server_pid, "nginx": nginx_pid})
        for url in (f"{base}/bench/bare", f"{nginx}/pair.json"):
            if get(url) != (200, body):
                sys.exit(f"{url} does not answer the latest-for-pair bytes")

        runs = targets(base, nginx, history_query, args.clients)
        only = [part.strip() for part in args.only.split(",") if part.strip()]
        for target in runs:
            if only and target.koel and not any(part in target.name for part in only):
                target.note = "not selected (--only)"
                continue
            status = warm_up(target, newest)
            if status == 404 and "/v1/latest" in target.url:
                # Frankfurter answers 404 once the newest ECB day is over 14 days old (the
                # bundled history ends in the past): the newest day's URL takes the same path.
                target.url = target.url.replace("/v1/latest", f"/v1/{newest}")
                target.name = target.name.replace("/v1/latest", f"/v1/{newest}")
                print(f"  /v1/latest answers 404 (ECB data ends {newest}): /v1/{newest} measured")
                status = warm_up(target, newest)
            if status != 200:
                target.note = f"{target.url.removeprefix(base)} answers {status}"
                print(f"  {target.name}: {target.note}; skipped", flush=True)
        chosen = [t for t in runs if not t.note]
        # Untimed, 3 s: every server thread opens its database and Redis connections.
        warm = next(t for t in runs if t.name == f"{PAIR_NAME} (cached)")
        run_wrk(tools["wrk"], warm, _short(args), first, windows, salt, meter)
        for round_ in range(args.rounds):
            for target in chosen:
                warm_up(target, newest)  # the cached answer, again after a clear_cache()
                salt_ = salt + round_ * 10**8
                result = run_wrk(tools["wrk"], target, args, first, windows, salt_, meter)
                target.runs.append(result)
                if target.vary:
                    clear_cache()  # bounded memory, and no window is cached for the next round
                if target.vary == "window" and result["requests"] > windows:
                    print(f"  note: more requests than the {windows:,} windows: some were hits")
                print(
                    f"  round {round_ + 1}: {target.name:<36} {result['rps']:>8,.0f} req/s  "
                    f"p50 {result['p50_us'] / 1e3:6.2f} ms  p99 {result['p99_us'] / 1e3:7.2f} ms"
                    f"  errors {result['errors']}  machine busy {result['busy_pct']:.0f}%, "
                    f"other processes {result['other_pct']:.0f}%",
                    flush=True,
                )
        report(runs, bare=runs[1], nginx=runs[0], rounds=args.rounds)
        if args.profile:
            os.environ["KOEL_BENCH_BARE_BODY"] = str(body_file)  # /bench/bare, in-process
            endpoints = [runs[1], *(t for t in runs if t.koel and t.runs)]
            profile(endpoints, args.profile, first, windows)
    print(f"cache: {clear_cache():,} keys of prefix {CACHE_PREFIX!r} deleted")


def _short(args: argparse.Namespace) -> argparse.Namespace:
    return argparse.Namespace(**{**vars(args), "duration": 3})


if __name__ == "__main__":
    main(parse_args())
