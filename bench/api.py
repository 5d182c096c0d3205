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
* Koel's endpoints, cached (the same URL every time: after the first request the answer is
  replayed from Redis) and uncached: every request asks what really misses — another pair,
  instant or range — never only another amount, which is applied to a cached rate
  (bench/api_vary.py says how each row makes sure; the output says it too, and counts the
  answers each run stored: ~1 per request when every request was a miss):
    - latest-for-pair   /api/v1/rates/?base=USD&target=EUR  (uncached: a pair among the
                        currencies quoted on the newest ECB day, cycled while their cache
                        versions are bumped as a write of their rates does)
    - pair at an instant  (uncached only: a pair and an `at=` weekday since 1999, all distinct)
    - distinct amounts  /api/v1/rates/?base=EUR&target=USD&amount=<n> and
                        /api/v1/convert/?from=EUR&to=USD&amount=<n>: a new amount every request
    - latest-for-base   /api/v1/rates/?base=USD, every target  (uncached: a base, cycled and
                        bumped as for pairs)
    - 1-year history    /api/v1/rates/history/?base=EUR&target=USD&interval=day&start=..&end=..
                        ending on the newest ECB day (uncached: another target and another
                        year through the ECB history, all distinct)
    - Frankfurter       /v1/latest  (uncached: /v1/<day>?base=<code>, all distinct)
      Frankfurter answers 404 once the newest ECB rates are over 14 days old (the bundled
      history ends in the past): then /v1/<newest ECB day> is measured, the same view path;
    - currencies        /api/v1/currencies/, the first page as a client asks it;
* baselines in the same run, as ratios: `/bench/bare` on the same server (a plain Django view
  answering the bytes of the cached latest-for-pair response: the same middleware, no DRF, no
  cache, no database) and nginx serving the same bytes as a static file (2 workers, access log
  off, like granian), started as a child process from a config in a temporary directory; and
  `/bench/drf-floor`, a DRF view under Koel's REST_FRAMEWORK settings that runs an uncached
  pair's one statement and answers the same bytes: what any uncached DRF answer pays on this
  stack before Koel's own work (bench/api_urls.py);
* CPU: per run, the CPU seconds of granian's processes, nginx, redis-server and PostgreSQL (all
  their processes, whoever asked), wrk, and the whole machine, from /proc: CPU ms per request
  does not depend on what else runs on the machine the way requests/s does.

Goals (issue 9, item 7; bench/api_report.py prints a verdict for each): uncached latest-for-pair
>= 25% of the bare Django view's requests/s; uncached latest-for-base and one-year history >=
10%; distinct amounts >= 100%; the currencies list cached >= 100%; every cached row >= 100% with
p99 <= 10 ms. Every row shows its server CPU ms per request beside it. Session 3's goal
(latest-for-pair cached >= 60%, p99 <= 10 ms) is still printed.

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
    ... bench/api.py --quick       # a smoke run: 1 round of 3 s per URL, no profile
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
import json  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import urllib.error  # noqa: E402
import urllib.request  # noqa: E402
from contextlib import ExitStack, contextmanager, nullcontext  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from datetime import UTC, date, datetime, timedelta  # noqa: E402

from django.core.cache import cache  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.migrations.executor import MigrationExecutor  # noqa: E402
from django.db.models import Max  # noqa: E402

from bench.api_cpu import CpuMeter, cpu_figures  # noqa: E402
from bench.api_profile import profile  # noqa: E402
from bench.api_report import report, verdicts  # noqa: E402
from bench.api_vary import (  # noqa: E402
    Bumper,
    Space,
    bump_interval,
    ecb_currencies,
    stored_answers,
    weekdays_until,
)
from koel import stack  # noqa: E402
from rates.models import Currency, LatestRates  # noqa: E402

HEADERS = {"X-Forwarded-Proto": "https"}  # as the TLS proxy in front of production sets it
LUA = ROOT / "bench" / "api.lua"
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
        "--quick",
        action="store_true",
        help="a smoke run: 1 round of 3 s per URL, no profile (overrides those options)",
    )
    parser.add_argument(
        "--profile",
        type=float,
        default=0,
        metavar="S",
        help=(
            "then profile every endpoint in-process for about S seconds (default: no); "
            "KOEL_BENCH_PSTATS=DIR also writes each one's cProfile stats there"
        ),
    )
    args = parser.parse_args()
    if args.quick:
        args.rounds, args.duration, args.profile = 1, 3, 0
    return args


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
    url: str  # full URL (for a `space`: the server's, the paths come from the space)
    vary: str = ""  # "", "amount", "paths" (bench/api.lua)
    clients: int = 0  # X-Forwarded-For pool; 0: none
    koel: bool = True  # False: a baseline
    space: Space | None = None  # the questions of an uncached row (bench/api_vary.py)
    note: str = ""
    runs: list[dict] = field(default_factory=list)
    warm_stored: int = 0  # answers the first request stored (is the endpoint cached at all?)

    def median(self, key: str) -> float:
        return statistics.median(run[key] for run in self.runs)

    @property
    def rps(self) -> float:
        return self.median("rps")


def history_query(newest: date) -> str:
    """The cached history's query: the year ending on the newest ECB day."""
    return f"start={newest - timedelta(days=365)}&end={newest}"


def spaces(newest: date) -> dict[str, Space]:
    """The questions of the uncached rows (bench/api_vary.py): pairs and bases among the
    currencies the ECB quoted on its newest day; instants, years and Frankfurter days among
    those it quoted on every day."""
    current, always = ecb_currencies(newest)
    days, years = weekdays_until(newest), weekdays_until(newest - timedelta(days=365))
    pair = "/api/v1/rates/?base={base}&target={target}"
    history = "/api/v1/rates/history/?base={base}&target={target}&interval=day"
    return {
        "pair": Space(pair, current, current, cycle=True, how="pair"),
        "at": Space(pair + "&at={day}", always, always, days=days, how="pair and at= weekday"),
        "base": Space("/api/v1/rates/?base={base}", current, cycle=True, how="base"),
        "history": Space(
            history + "&start={start}&end={end}",
            ("EUR",),
            always,
            days=years,
            how="target and one-year window",
        ),
        "frankfurter": Space("/v1/{day}?base={base}", always, days=days, how="base and day"),
    }


def targets(base: str, nginx: str, newest: date, clients: int) -> list[Target]:
    """nginx and the bare view first (the ratios' denominators), then Koel's endpoints."""
    pair, for_base = f"{base}{PAIR}", f"{base}/api/v1/rates/?base=USD"
    history = f"{base}/api/v1/rates/history/?base=EUR&target=USD&interval=day"
    frankfurter = f"{base}/v1/latest"
    n, space = clients, spaces(newest)
    return [
        Target("nginx static (same bytes)", "nginx", f"{nginx}/pair.json", koel=False),
        Target("bare Django view (same bytes)", "bare view", f"{base}/bench/bare", koel=False),
        Target(
            "DRF floor: throttle + 1 query (same bytes)",
            "DRF floor",
            f"{base}/bench/drf-floor",
            clients=n,
            koel=False,
        ),
        Target(f"{PAIR_NAME} (cached)", "pair", pair, clients=n),
        Target(f"{PAIR_NAME} (uncached)", "pair miss", base, "paths", n, space=space["pair"]),
        Target("pair at an instant (uncached)", "at miss", base, "paths", n, space=space["at"]),
        Target(
            "pair, distinct amounts (cached rate)",
            "pair amt",
            f"{base}/api/v1/rates/?base=EUR&target=USD",
            vary="amount",
            clients=n,
        ),
        Target(
            "convert, distinct amounts (cached rate)",
            "conv amt",
            f"{base}/api/v1/convert/?from=EUR&to=USD",
            vary="amount",
            clients=n,
        ),
        Target("latest-for-base (cached)", "base", for_base, clients=n),
        Target("latest-for-base (uncached)", "base miss", base, "paths", n, space=space["base"]),
        Target(
            "history 1y daily (cached)", "history", f"{history}&{history_query(newest)}", clients=n
        ),
        Target(
            "history 1y daily (uncached)", "hist miss", base, "paths", n, space=space["history"]
        ),
        Target("frankfurter /v1/latest (cached)", "ff latest", frankfurter, clients=n),
        Target(
            "frankfurter /v1/<day> (uncached)",
            "ff miss",
            base,
            "paths",
            n,
            space=space["frankfurter"],
        ),
        Target(
            "currencies, first page (cached)", "currencies", f"{base}/api/v1/currencies/", clients=n
        ),
        Target(f"{PAIR_NAME} (cached), one client", "pair 1 cl.", pair),
    ]


def run_wrk(wrk: str, target: Target, args, run: "RunContext", meter: CpuMeter) -> dict:
    """One wrk run of `target`; for an uncached row, with its questions written out for
    bench/api.lua and, when it cycles, the cache versions bumped meanwhile (bench/api_vary.py)."""
    env = {
        **os.environ,
        "BENCH_HEADERS": "|".join(f"{k}: {v}" for k, v in HEADERS.items()),
        "BENCH_CLIENTS": str(target.clients),
        "BENCH_VARY": target.vary,
        "BENCH_SALT": str(run.salt),
        "BENCH_THREADS": str(args.threads),
    }
    space, paths = target.space, write_questions(target, args, run, env)
    command = [wrk, f"-t{args.threads}", f"-c{args.connections}", f"-d{args.duration}s"]
    command += ["--timeout", "10s", "--latency", "-s", str(LUA), target.url]
    interval = bump_interval(space, run.fastest_rps) if space and space.cycle else 0.0
    bumper = Bumper((*space.bases, *space.targets), interval) if interval else nullcontext()
    stored = stored_answers(CACHE_PREFIX)
    with bumper:
        before = meter.snapshot()
        # wrk stops itself after -d; the timeout bounds a hang.
        done = subprocess.run(
            command,
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=args.duration + 60,
        )
        after = meter.snapshot()
    line = next((x for x in done.stdout.splitlines() if x.startswith("BENCH ")), None)
    if done.returncode != 0 or line is None:
        sys.exit(f"wrk failed on {target.url}:\n{done.stdout}\n{done.stderr}")
    result = json.loads(line.removeprefix("BENCH "))
    # Requests still in the server when wrk stopped store their answers now: count them with
    # this run, not the next (and not after a clear_cache()).
    time.sleep(min(2.0, result["max_us"] / 1e6))
    requests = max(result["requests"], 1)
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    result["errors"] = sum(result[k] for k in ("connect", "read", "write", "status", "timeout"))
    result.update(cpu_figures(before, after, result["requests"]))
    result["stored_per_request"] = (stored_answers(CACHE_PREFIX) - stored) / requests
    result.update(paths=paths, bump_ms=interval * 1e3, bumps=getattr(bumper, "bumps", 0))
    # A thread past its share of distinct questions asked some twice: they may have been hits.
    result["repeated"] = bool(
        space and not space.cycle and result["thread_most"] > paths // args.threads
    )
    return result


def write_questions(target: Target, args, run: "RunContext", env: dict) -> int:
    """An uncached row's questions into the file bench/api.lua reads (BENCH_PATHS in `env`);
    how many. More than the fastest row could ask, so that no thread comes round again."""
    if target.space is None:
        return 0
    env["BENCH_PATHS"] = str(run.workdir / "paths.txt")
    limit = int(2 * run.fastest_rps * args.duration) + 1000
    return target.space.write(Path(env["BENCH_PATHS"]), limit, offset=run.round * limit)


@dataclass
class RunContext:
    """What varies between wrk runs of one benchmark: the round, the amounts' salt, the
    fastest rate a miss could reach (the bare view's, once measured) and the paths' directory."""

    workdir: Path
    salt: int
    round: int = 0
    fastest_rps: float = 10_000.0


def sample_paths(target: Target) -> list[str]:
    """A few of a row's URLs: the one its warm-up asks (the last question, which a run does not
    reach), and three spread through its questions (checked to answer 200 before the runs)."""
    if target.vary == "amount":
        return [f"{target.url}&amount=1"]
    if target.space is None:
        return [target.url]
    size = target.space.size
    return [
        target.url + next(target.space.paths(offset))
        for offset in (size - 1, 0, size // 3, 2 * size // 3)
    ]


def warm_up(target: Target) -> int:
    """One request to the target (for the varied ones, one of their URLs): fills the cache.
    Returns the status."""
    return get(sample_paths(target)[0])[0]


def loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def main(args: argparse.Namespace) -> None:
    tools = require_tools()
    newest = ensure_database_ready()
    clear_cache()
    wrk_version = subprocess.run([tools["wrk"], "-v"], capture_output=True, text=True).stdout
    nginx_version = subprocess.run([tools["nginx"], "-v"], capture_output=True, text=True).stderr
    print(
        f"{os.cpu_count()} CPUs, load average {loadavg()}; {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; "
        f"{wrk_version.split(' [')[0].strip()}, {nginx_version.strip()}",
        flush=True,
    )
    print(
        f"wrk -t{args.threads} -c{args.connections} -d{args.duration}s per URL, {args.rounds} "
        f"round(s), {args.clients:,} client addresses (X-Forwarded-For); "
        f"ECB rates through {newest}",
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

        runs = targets(base, nginx, newest, args.clients)
        chosen = select(runs, args.only, base, newest)
        clear_cache()  # the answers of select()'s sample questions, which the runs ask too
        describe_misses(chosen)
        context = RunContext(workdir, salt=int(time.time()) % 10**6 * 1000)
        # Untimed, 3 s: every server thread opens its database and Redis connections.
        warm = next(t for t in runs if t.name == f"{PAIR_NAME} (cached)")
        run_wrk(tools["wrk"], warm, _short(args), context, meter)
        salt = context.salt
        for round_ in range(args.rounds):
            bare = 0.0  # this round's, once measured (nginx comes before it)
            for target in chosen:
                warm_up(target)  # the cached answer (or rate), again after a clear_cache()
                if target.space is not None:
                    clear_cache()  # its warm-up question may be among those the run asks
                context.round, context.salt = round_, salt + round_ * 10**8
                result = run_wrk(tools["wrk"], target, args, context, meter)
                target.runs.append(result)
                if target is runs[1]:
                    context.fastest_rps = result["rps"]  # no miss is faster than the bare view
                    bare = result["rps"]
                if target.vary:
                    clear_cache()  # bounded memory, and no question is cached for the next round
                print_run(round_, target, result, bare)
        report(runs, bare=runs[1], nginx=runs[0], rounds=args.rounds)
        verdicts(runs, bare=runs[1])
        if args.profile:
            os.environ["KOEL_BENCH_BARE_BODY"] = str(body_file)  # /bench/bare, in-process
            endpoints = [t for t in runs[1:] if t.runs]  # the baselines but nginx, and Koel
            profile(endpoints, args.profile)
    print(f"cache: {clear_cache():,} keys of prefix {CACHE_PREFIX!r} deleted")


def select(runs: list[Target], only: str, base: str, newest: date) -> list[Target]:
    """The rows to run (--only; baselines always), each checked to answer 200 (a few of its
    URLs for a varied row); the cache entries its first request stored are noted."""
    parts = [part.strip() for part in only.split(",") if part.strip()]
    for target in runs:
        if parts and target.koel and not any(part in target.name for part in parts):
            target.note = "not selected (--only)"
            continue
        stored = stored_answers(CACHE_PREFIX)
        status = warm_up(target)
        if status == 404 and "/v1/latest" in target.url:
            # Frankfurter answers 404 once the newest ECB day is over 14 days old (the
            # bundled history ends in the past): the newest day's URL takes the same path.
            target.url = target.url.replace("/v1/latest", f"/v1/{newest}")
            target.name = target.name.replace("/v1/latest", f"/v1/{newest}")
            print(f"  /v1/latest answers 404 (ECB data ends {newest}): /v1/{newest} measured")
            status = warm_up(target)
        target.warm_stored = stored_answers(CACHE_PREFIX) - stored
        failed = [(url, code) for url in sample_paths(target)[1:] if (code := get(url)[0]) != 200]
        if status != 200 or failed:
            url, status = failed[0] if failed else (sample_paths(target)[0], status)
            target.note = f"{url.removeprefix(base)} answers {status}"
            print(f"  {target.name}: {target.note}; skipped", flush=True)
    return [t for t in runs if not t.note]


def describe_misses(chosen: list[Target]) -> None:
    """How each uncached row makes every request a miss (bench/api_vary.py)."""
    rows = [t for t in chosen if t.space is not None or t.vary == "amount"]
    if rows:
        print("uncached rows, and how every request misses:")
    for t in rows:
        if t.vary == "amount":
            how = "a new amount every request, at one pair's (cached) rate: not a miss by design"
        elif t.space.cycle:
            how = (
                f"a new {t.space.how} every request, {t.space.size:,} of them, cycled while the "
                f"versions of their {len({*t.space.bases, *t.space.targets})} currencies and the "
                "generation are bumped (every 20 ms to 1 s: each run's line says), as a write of "
                "their rates does"
            )
        else:
            how = (
                f"a new {t.space.how} every request, {t.space.size:,} distinct questions, none "
                "asked twice in a run; the cache is cleared after every run"
            )
        print(f"  {t.name}: {how}")


def print_run(round_: int, target: Target, result: dict, bare: float) -> None:
    share = f"{result['rps'] / bare:5.0%}" if bare else "    -"
    extra = ""
    if target.space is not None:
        extra = f"  answers stored/request {result['stored_per_request']:.2f}"
        if result["bumps"]:
            extra += f", {result['bumps']:,} bumps every {result['bump_ms']:.0f} ms"
        if result["repeated"]:
            extra += f"  NOTE: a thread asked past its {result['paths']:,} questions"
    print(
        f"  round {round_ + 1}: {target.name:<40} {result['rps']:>8,.0f} req/s {share} of bare  "
        f"p50 {result['p50_us'] / 1e3:6.2f} ms  p99 {result['p99_us'] / 1e3:7.2f} ms  "
        f"server CPU {result['cpu_server_ms']:.3f} ms/req  errors {result['errors']}  "
        f"busy {result['busy_pct']:.0f}%, others {result['other_pct']:.0f}%{extra}",
        flush=True,
    )


def _short(args: argparse.Namespace) -> argparse.Namespace:
    return argparse.Namespace(**{**vars(args), "duration": 3})


if __name__ == "__main__":
    main(parse_args())
