"""Scrape benchmark: a full refresh of every active base against a local replay of the sites.

The requirement: "A full scrape of all 155 bases against the replay server with the politeness
delay set to zero for the measurement: wall time, requests per full refresh, parse CPU per page,
rates stored per second, peak RSS of the crawl process." A full refresh is every active currency
as a base against every other one (156 active today, so 156 pages and 156 x 155 = 24,180 rates).

The site (bench/scrape_site.py): a threaded HTTP/1.1 server in this process on 127.0.0.1 serving,
for every active base, open.er-api.com's /v6/latest/{BASE} body in its real JSON layout (and
floatrates.com's /daily/{base}.json for comparison), all computed from one consistent table of
rates (the ECB reference rates of the last day in the bundled eurofxref-hist.zip, euro pegs, and
rounded market levels for the rest), plus a permissive robots.txt. Every measurement gets bodies
with a new `time_last_update_unix` (one minute later than the last), so each one writes fresh
keys newer than the source's newest, as a real scrape does.

Measured, each `--repeats` times (median reported), in rounds so drift hits all alike:

* crawl: `manage.py crawl open_er_api --base <every active code> --base-url <server> --set
  DOWNLOAD_DELAY=0 --set AUTOTHROTTLE_ENABLED=False --set CONCURRENT_REQUESTS_PER_DOMAIN=N
  --report FILE` in a child process, with N = 8 and N = 1 (production's one request at a time
  per site), floatrates with N = 8, and a diagnostic open_er_api crawl (N = 8) without Scrapy's
  per-item DEBUG log record and end-of-crawl stats dump (bench/scrape_logformatter.py). Per run:
  wall time, the report's in-process crawl seconds (spider run, storage included, process
  start-up excluded), pages and robots.txt hits counted by the server, rates stored (the
  report's "written"), the child's CPU (user + sys) and peak RSS (GNU time's rusage of that one
  process), and the lines it logged;
* parse CPU per page: the spiders' pure parse functions (parse_open_er_api, parse_floatrates_json)
  over the same bodies in this process (time.process_time), per page;
* the manager path, after the rounds: `scrapers.manager.scrape(scope="group", target=g)` for each
  group of active currencies (primary, secondary: the two beat schedules), with open_er_api's
  source row pointed at the server (politeness_delay 0, circuit closed) and every other source
  disabled. That is production's crawl (one request at a time, AutoThrottle on, starting from
  AUTOTHROTTLE_START_DELAY), one child process per group, plus the manager's bookkeeping;
* baselines in the same run: the process floor (`manage.py crawl --help`: interpreter, Django
  and Scrapy imports, system checks); a plain http.client loop over the same 156 pages, without
  Scrapy, in its own process (1 and 8 workers, one keep-alive connection each); the write path
  alone, in this process, on the same rows: `rates.ingest.services.rates_upsert` and
  `rates_accept` (the quarantine check + upsert the crawl's storage pipeline calls). The
  crawl's wall is then shown against "fetch + parse + store" built from these, and its CPU split
  into process floor, parse, store and the rest (Scrapy's engine and per-item path);
* unless --no-profile, one extra crawl (N = 8) under cProfile: the share of its main thread's
  time in imports, the item path (and in it log records, signals, Koel's pipelines), parsing and
  the stats dump (the storage runs in asgiref's worker thread and is not in it). cProfile slows
  Python calls several-fold, so these shares are indicative only.

A real full refresh with production politeness (1.2 s between requests, one at a time) is
computed, not run: (requests - 1) x 1.2 s, plus the measured process start/exit and store; the
per-page work runs inside the delays.

Crawl processes run with DEBUG=0 as in production (a throw-away SECRET_KEY is supplied when none
is set); DEBUG=1 in the environment only gives this process its development key, and this process
switches settings.DEBUG off after set-up (as the other benches do).

State: nothing is written under a new source (the crawl command needs the spider's own name), so
the rows go under open_er_api and floatrates at instants of this run only (second 7 of each
minute in the three hours before the run started; the run stops before writing if any row of
those sources already sits at one of them). Before any write it saves those sources' (and
"koel"'s) rates_latestrates rows and every source row; at the end (also on error, Ctrl-C or
SIGTERM) it deletes the rows stored at its instants (rates, quarantined rates, "koel" cross
rates), restores the rates_latestrates rows it moved, the source rows (enabled, base_url,
politeness, health counters), deletes its scrape runs and bumps the cache versions of every
base. Do not point it at a database a live Koel is scraping into. Run from the project root:

    DATABASE_URL=postgres://... REDIS_URL=redis://... DEBUG=1 .venv/bin/python bench/scrape.py
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
import json  # noqa: E402
import logging  # noqa: E402
import pstats  # noqa: E402
import re  # noqa: E402
import resource  # noqa: E402
import secrets  # noqa: E402
import signal  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections import defaultdict  # noqa: E402
from collections.abc import Callable  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from datetime import UTC, datetime, timedelta  # noqa: E402

import pycountry  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.migrations.executor import MigrationExecutor  # noqa: E402

from rates.cache import bump_on_commit  # noqa: E402
from rates.ingest.acceptance import DERIVED_SOURCE, rates_accept  # noqa: E402
from rates.ingest.services import rates_upsert  # noqa: E402
from rates.models import (  # noqa: E402
    Currency,
    LatestRates,
    QuarantinedRate,
    ScrapeRun,
    Source,
)
from rates.table import partition_name  # noqa: E402
from scrapers import manager  # noqa: E402
from scrapers.spiders.floatrates import parse_floatrates_json  # noqa: E402
from scrapers.spiders.open_er_api import parse_open_er_api  # noqa: E402

sys.path.insert(0, str(ROOT / "bench"))
import scrape_site  # noqa: E402

SPIDER = "open_er_api"  # the measured source
OTHER = "floatrates"  # the comparison
TOUCHED = (SPIDER, OTHER, DERIVED_SOURCE)  # sources this bench may write rows under
JSON = "application/json"
WINDOW = timedelta(hours=3)  # the run's instants: one a minute from now - WINDOW
# The diagnostic crawl: no log record per item, no stats dump at the end.
QUIET = [
    *("--set", "LOG_FORMATTER=bench.scrape_logformatter.NoItemLog"),
    *("--set", "STATS_DUMP=False"),
]
PRODUCTION_DELAY = 1.2  # scrapers/scrapy_settings.py DOWNLOAD_DELAY (jitter 0.5x-1.5x: mean 1.2)
CHILD_TIME_LIMIT = 600  # seconds; a crawl child still running then is killed
GNU_TIME = "/usr/bin/time"  # GNU time (Debian package "time"): a child's own rusage
# Source fields the manager measurement changes (directly or through the health records).
SOURCE_FIELDS = [
    "enabled",
    "base_url",
    "politeness_delay",
    "last_success_at",
    "last_failure_at",
    "last_error",
    "consecutive_failures",
    "attempts",
    "successes",
    "total_latency",
    "circuit_open_until",
]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--repeats", type=int, default=3, help="runs per measurement (default 3)")
    parser.add_argument(
        "--concurrency",
        type=int,
        default=8,
        help="CONCURRENT_REQUESTS_PER_DOMAIN of the fast crawl (default 8; 1 is always run)",
    )
    parser.add_argument(
        "--no-manager", action="store_true", help="skip the manager path (sources untouched)"
    )
    parser.add_argument("--no-profile", action="store_true", help="skip the cProfile'd crawl")
    args = parser.parse_args()
    if not 1 <= args.repeats <= 20:
        parser.error("--repeats must be 1..20")
    if args.concurrency < 2:
        parser.error("--concurrency must be 2 or more (1 at a time is always measured)")
    return args


# --- set-up, state and clean-up --------------------------------------------------------------


def ensure_database_ready() -> None:
    """Exit unless migrations are applied; load currencies and sources if there are none."""
    executor = MigrationExecutor(connection)
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        sys.exit("Unapplied migrations: run `manage.py migrate` against this database first.")
    if not Currency.objects.exists():
        call_command("bootstrap", "--skip-history")


def child_environment() -> dict[str, str]:
    """Crawl children (ours and the manager's, which copies os.environ) run as production does:
    DEBUG off, so Django does not wrap their cursors in its query-logging wrapper."""
    os.environ["DEBUG"] = "0"
    if not os.environ.get("SECRET_KEY"):
        os.environ["SECRET_KEY"] = f"bench-scrape-{secrets.token_hex(24)}"
    os.environ.pop("KOEL_DEMO", None)  # the manager would point crawls at the demo server
    settings.KOEL_DEMO = False
    return dict(os.environ)


class Clock:
    """The instants of this run's bodies: one a minute (at second 7, where no real source's
    stamps cluster), increasing, in the WINDOW before the run started."""

    def __init__(self) -> None:
        now = datetime.now(UTC).replace(second=0, microsecond=0)
        self.start = now - WINDOW
        self.planned = [
            self.start + timedelta(minutes=minute, seconds=7)
            for minute in range(int(WINDOW.total_seconds() // 60))
        ]
        self.used: list[datetime] = []

    def next(self) -> datetime:
        if len(self.used) == len(self.planned):
            raise RuntimeError("out of instants: lower --repeats")
        self.used.append(self.planned[len(self.used)])
        return self.used[-1]


@dataclass
class Saved:
    """What the run may change, saved before its first write."""

    sources: dict[str, dict] = field(default_factory=dict)
    latest: dict[tuple[str, str], tuple[str, datetime]] = field(default_factory=dict)
    runs: list[int] = field(default_factory=list)  # scrape runs the manager created


def check_window(clock: Clock) -> None:
    """Stop before any write if a row of the touched sources sits at one of the run's instants
    (the clean-up deletes by source and instant, and must delete only what this run wrote)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM rates_exchangerate WHERE source_id = ANY(%s) "
            "AND observed_at = ANY(%s) AND observed_at >= %s AND observed_at <= %s",
            [list(TOUCHED), clock.planned, clock.planned[0], clock.planned[-1]],
        )
        (found,) = cursor.fetchone()
    found += QuarantinedRate.objects.filter(
        source_id__in=TOUCHED, observed_at__in=clock.planned
    ).count()
    if found:
        sys.exit(
            f"{found} rows of {', '.join(TOUCHED)} sit at instants this run would write at "
            f"(second 7 of each minute from {clock.start:%Y-%m-%d %H:%M} UTC): not touching "
            "them. Run it again in a minute, or on a dedicated database."
        )


def save_state() -> Saved:
    saved = Saved()
    for row in Source.objects.values("code", *SOURCE_FIELDS):
        saved.sources[row.pop("code")] = row
    for base, source, quotes, newest in LatestRates.objects.filter(
        source_id__in=TOUCHED
    ).values_list("base_id", "source_id", "quotes", "newest"):
        saved.latest[(base, source)] = (quotes, newest)
    return saved


def delete_rows(instants: list[datetime], *, vacuum: bool = True) -> None:
    """Rates and quarantined rates of the touched sources at this run's instants (untimed)."""
    if not instants:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM rates_exchangerate WHERE source_id = ANY(%s) AND observed_at = ANY(%s) "
            "AND observed_at >= %s AND observed_at <= %s",
            [list(TOUCHED), instants, min(instants), max(instants)],
        )
        if vacuum:  # only the partitions written to, not a real history's hundreds
            for name in sorted({partition_name(instant) for instant in instants}):
                cursor.execute("SELECT to_regclass(%s)", [name])
                if cursor.fetchone()[0]:  # else they went to the DEFAULT partition
                    cursor.execute(f'VACUUM "{name}"')
    QuarantinedRate.objects.filter(source_id__in=TOUCHED, observed_at__in=instants).delete()


def restore_state(saved: Saved, clock: Clock) -> None:
    """Undo everything the run did (see the module doc)."""
    delete_rows(clock.used)
    with transaction.atomic():
        # A saved row that changed goes back (a bench quote may sit in it even when its newest
        # stayed newer than the bench's); a row the bench created (newest one of its instants)
        # goes; anything else is not the bench's doing.
        for row in LatestRates.objects.filter(source_id__in=TOUCHED):
            before = saved.latest.get((row.base_id, row.source_id))
            if before is None:
                if row.newest in clock.used:
                    row.delete()
            elif (row.quotes, row.newest) != before:
                row.quotes, row.newest = before
                row.save(update_fields=["quotes", "newest"])
        for code, values in saved.sources.items():
            Source.objects.filter(code=code).update(**values)
        ScrapeRun.objects.filter(id__in=saved.runs).delete()
        bump_on_commit(Currency.objects.values_list("code", flat=True))


# --- the site's content ----------------------------------------------------------------------


@dataclass
class Content:
    bases: list[str]
    values: dict[str, float]
    names: dict[str, tuple[str, str]]

    def open_er_api(self, stamp: datetime) -> dict[str, tuple[bytes, str]]:
        return {
            f"/v6/latest/{base}": (scrape_site.open_er_api_body(base, self.values, stamp), JSON)
            for base in self.bases
        }

    def floatrates(self, stamp: datetime) -> dict[str, tuple[bytes, str]]:
        return {
            f"/daily/{base.lower()}.json": (
                scrape_site.floatrates_body(base, self.values, self.names, stamp),
                JSON,
            )
            for base in self.bases
        }


def content(bases: list[str]) -> tuple[Content, str, list[str]]:
    values, day, invented = scrape_site.reference_values(bases)
    names = {}
    for currency in Currency.objects.filter(code__in=bases):
        iso = pycountry.currencies.get(alpha_3=currency.code)
        names[currency.code] = (currency.name, getattr(iso, "numeric", ""))
    return Content(bases, values, names), day, invented


# --- child processes -------------------------------------------------------------------------


@dataclass
class Child:
    wall: float
    cpu: float  # user + sys of that process
    rss_mb: float  # its peak resident set
    code: int
    stdout: str
    stderr: str


def run_child(command: list[str], env: dict[str, str], stdin: bytes | None = None) -> Child:
    """Run `command` from the project root under GNU time, for its own CPU and peak RSS.

    Not os.wait4 on our own child: Linux carries a process's peak RSS across exec, so a child
    forked from this process (Django loaded, ~130 MB) would report at least our size. GNU time
    is small, and forks the measured command itself.
    """
    with tempfile.TemporaryDirectory(prefix="koel-bench-scrape-") as workdir:
        usage = Path(workdir) / "usage"
        out, err = Path(workdir) / "out", Path(workdir) / "err"
        with out.open("wb") as stdout, err.open("wb") as stderr:
            started = time.perf_counter()
            process = subprocess.Popen(
                [GNU_TIME, "-f", "%U %S %M", "-o", str(usage), *command],
                cwd=ROOT,
                env=env,
                stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                stdout=stdout,
                stderr=stderr,
                start_new_session=True,  # its own process group, killed as one on an error
            )
            try:
                process.communicate(stdin, timeout=CHILD_TIME_LIMIT)
            except BaseException:  # a timeout, Ctrl-C, SIGTERM: no crawl may outlive the clean-up
                os.killpg(process.pid, signal.SIGKILL)  # GNU time and the command under it
                process.wait()
                raise
            wall = time.perf_counter() - started
        # GNU time writes "Command exited with non-zero status N" first when it does.
        user, system, rss_kib = usage.read_text().strip().splitlines()[-1].split()
        return Child(
            wall=wall,
            cpu=float(user) + float(system),
            rss_mb=int(rss_kib) / 1024,
            code=process.returncode,
            stdout=out.read_text(errors="replace"),
            stderr=err.read_text(errors="replace"),
        )


def memusage_startup(log: str) -> float | None:
    """MB from the stats dump's 'memusage/startup' (absent when the dump is off)."""
    found = re.search(r"'memusage/startup': (\d+)", log)
    return int(found.group(1)) / 2**20 if found else None


def tail(text: str, lines: int = 15) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


# --- measurements ----------------------------------------------------------------------------


@dataclass
class Sample:
    wall: float
    work: float | None = None  # in-process seconds (crawl report / fetch loop / service call)
    cpu: float | None = None
    rss_mb: float | None = None
    pages: int | None = None
    robots: int | None = None
    stored: int | None = None
    log_lines: int | None = None  # lines the crawl process wrote to stderr (its log)
    open_mb: float | None = None  # Scrapy's memusage/startup: RSS when the spider opened


class Bench:
    def __init__(self, args, site, data: Content, env, clock: Clock, saved: Saved) -> None:
        self.args, self.site, self.data, self.env = args, site, data, env
        self.clock, self.saved = clock, saved
        self.samples: dict[str, list[Sample]] = defaultdict(list)
        self.expected = len(data.bases) * (len(data.bases) - 1)
        self.parse: dict[str, list[float]] = defaultdict(list)  # seconds per page
        self.page_bytes: dict[str, float] = {}
        self.profile: dict[str, float] = {}
        self.profile_total = 0.0

    # -- crawls (child processes) --

    def crawl(
        self, name: str, source: str, concurrency: int, *, record: bool = True, extra=()
    ) -> None:
        stamp = self.clock.next()
        pages = self.data.open_er_api(stamp) if source == SPIDER else self.data.floatrates(stamp)
        self.site.serve(pages)
        self.site.reset()
        with tempfile.TemporaryDirectory(prefix="koel-bench-scrape-") as workdir:
            report = Path(workdir) / "report.json"
            command = self.crawl_command(source, concurrency, report)
            child = run_child([*command, *extra], self.env)
            outcome = json.loads(report.read_text()) if report.exists() else None
        counts = self.site.counts()
        if child.code or not outcome or outcome["written"] != self.expected:
            raise RuntimeError(
                f"{name}: exit {child.code}, report {outcome}, server {dict(counts)}\n"
                f"{tail(child.stderr)}"
            )
        if outcome["requests"] != counts["pages"] + counts["robots"]:
            requests = outcome["requests"]
            print(f"  {name}: the report counts {requests} requests, the server {dict(counts)}")
        delete_rows([stamp])
        if record:
            self.samples[name].append(
                Sample(
                    wall=child.wall,
                    work=outcome["seconds"],
                    cpu=child.cpu,
                    rss_mb=child.rss_mb,
                    pages=counts["pages"],
                    robots=counts["robots"],
                    stored=outcome["written"],
                    log_lines=len(child.stderr.splitlines()),
                    open_mb=memusage_startup(child.stderr),
                )
            )

    def crawl_command(self, source: str, concurrency: int, report: Path) -> list[str]:
        command = [sys.executable, "manage.py", "crawl", source, "--report", str(report)]
        command += [arg for base in self.data.bases for arg in ("--base", base)]
        command += ["--base-url", self.site.url]
        for setting in (
            "DOWNLOAD_DELAY=0",
            "AUTOTHROTTLE_ENABLED=False",
            f"CONCURRENT_REQUESTS_PER_DOMAIN={concurrency}",
        ):
            command += ["--set", setting]
        return command

    def process_floor(self) -> None:
        child = run_child([sys.executable, "manage.py", "crawl", "--help"], self.env)
        if child.code:
            raise RuntimeError(f"crawl --help: exit {child.code}\n{tail(child.stderr)}")
        self.samples["process floor: crawl --help"].append(
            Sample(wall=child.wall, cpu=child.cpu, rss_mb=child.rss_mb)
        )

    def plain_http(self, concurrency: int) -> None:
        self.site.serve(self.data.open_er_api(self.clock.start))  # nothing is stored
        self.site.reset()
        paths = "".join(f"/v6/latest/{base}\n" for base in self.data.bases).encode()
        script = str(ROOT / "bench" / "scrape_site.py")
        child = run_child(
            [sys.executable, script, "fetch", self.site.url, str(concurrency)], self.env, paths
        )
        if child.code:
            raise RuntimeError(f"plain HTTP: exit {child.code}\n{tail(child.stderr)}")
        result = json.loads(child.stdout)
        counts = self.site.counts()
        self.samples[f"plain HTTP loop, {concurrency} at a time"].append(
            Sample(
                wall=child.wall,
                work=result["seconds"],
                cpu=child.cpu,
                rss_mb=child.rss_mb,
                pages=counts["pages"],
                robots=counts["robots"],
            )
        )

    # -- in this process --

    def parse_cpu(self) -> None:
        """Seconds of CPU per page of each spider's pure parse function, over every base."""
        stamp = self.clock.start
        open_pages = list(self.data.open_er_api(stamp).values())
        float_pages = list(zip(self.data.floatrates(stamp).values(), self.data.bases, strict=True))
        for name, run, count, size in (
            (
                SPIDER,
                lambda: [parse_open_er_api(body) for body, _ in open_pages],
                len(open_pages),
                sum(len(body) for body, _ in open_pages),
            ),
            (
                OTHER,
                lambda: [parse_floatrates_json(body, base) for (body, _), base in float_pages],
                len(float_pages),
                sum(len(body) for (body, _), _ in float_pages),
            ),
        ):
            started = time.process_time()
            parsed = run()
            self.parse[name].append((time.process_time() - started) / count)
            assert sum(map(len, parsed)) == self.expected, f"{name}: parsed {len(parsed)} rows"
            self.page_bytes[name] = size / count

    def rows(self, stamp: datetime) -> list:
        pages = self.data.open_er_api(stamp).values()
        return [item.to_row() for body, _ in pages for item in parse_open_er_api(body)]

    def service(self, name: str, write: Callable) -> None:
        """One committed write of a full refresh's rows (fresh instant), untimed clean-up."""
        stamp = self.clock.next()
        rows = self.rows(stamp)
        cpu = time.process_time()
        started = time.perf_counter()
        written = write(source=SPIDER, rows=rows).written
        wall = time.perf_counter() - started
        cpu = time.process_time() - cpu
        assert written == self.expected, f"{name}: wrote {written}"
        delete_rows([stamp])
        self.samples[name].append(Sample(wall=wall, work=wall, cpu=cpu, stored=written))

    # -- the manager path --

    def manager_setup(self) -> None:
        """open_er_api at the server, no delay, circuit closed; every other source disabled.
        restore_state() puts the rows back as they were."""
        Source.objects.exclude(code=SPIDER).update(enabled=False)
        Source.objects.filter(code=SPIDER).update(
            enabled=True,
            base_url=self.site.url,
            politeness_delay=0,
            consecutive_failures=0,
            circuit_open_until=None,
        )

    def manager(self, groups: list[str]) -> None:
        stamp = self.clock.next()
        self.site.serve(self.data.open_er_api(stamp))
        self.site.reset()
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        own = time.process_time()
        started = time.perf_counter()
        runs = []
        for group in groups:
            run = manager.scrape(scope=manager.Scope.GROUP, target=group, trigger="bench")
            self.saved.runs.append(run.id)
            runs.append(run)
        wall = time.perf_counter() - started
        own = time.process_time() - own
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        child_cpu = (after.ru_utime - children.ru_utime) + (after.ru_stime - children.ru_stime)
        counts = self.site.counts()
        stored = sum(run.rates_stored for run in runs)
        failed = [run for run in runs if run.status != "succeeded"]
        if failed or stored != self.expected:
            details = [(run.target, run.status, run.errors, run.attempts) for run in runs]
            raise RuntimeError(f"manager: stored {stored}, runs {details}")
        delete_rows([stamp])
        attempts = sum(a.get("seconds", 0.0) for run in runs for a in run.attempts)
        self.samples[f"manager: {len(groups)} group runs"].append(
            Sample(
                wall=wall,
                work=attempts,
                cpu=child_cpu + own,
                pages=counts["pages"],
                robots=counts["robots"],
                stored=stored,
            )
        )

    # -- profile --

    def profiled_crawl(self) -> None:
        """One crawl (fast settings) under cProfile; its main thread's CPU by package."""
        stamp = self.clock.next()
        self.site.serve(self.data.open_er_api(stamp))
        with tempfile.TemporaryDirectory(prefix="koel-bench-scrape-") as workdir:
            report, stats = Path(workdir) / "report.json", Path(workdir) / "crawl.prof"
            command = self.crawl_command(SPIDER, self.args.concurrency, report)
            command[1:1] = ["-m", "cProfile", "-o", str(stats)]
            child = run_child(command, self.env)
            if child.code or not stats.exists():
                raise RuntimeError(f"profiled crawl: exit {child.code}\n{tail(child.stderr)}")
            self.profile, self.profile_total = profile_buckets(pstats.Stats(str(stats)))
        delete_rows([stamp])

    def median(self, name: str, attribute: str = "wall") -> float | None:
        values = [getattr(s, attribute) for s in self.samples[name]]
        values = [v for v in values if v is not None]
        return statistics.median(values) if values else None


# Where a profiled crawl's main thread spends its time: cumulative time of these functions
# (they nest: the item path includes its log records and signals).
PROFILE_BUCKETS = {
    "imports": ("<frozen importlib._bootstrap>", "_find_and_load"),
    "item path": ("scrapy/core/scraper.py", "start_itemproc_async"),
    "log records": ("logging/__init__.py", "_log"),
    "signals": ("scrapy/utils/signal.py", "send_catch_log_async"),
    "pipelines": ("scrapers/pipelines.py", "process_item"),
    "parse": ("scrapers/spiders/open_er_api.py", "parse_open_er_api"),
    "stats dump": ("pprint.py", "pformat"),
}


def profile_buckets(stats: pstats.Stats) -> tuple[dict[str, float], float]:
    """Cumulative seconds of each PROFILE_BUCKETS function, and the profile's total."""
    found = {}
    for label, (suffix, function) in PROFILE_BUCKETS.items():
        seconds = sum(
            cumulative
            for (filename, _line, name), (_cc, _nc, _tt, cumulative, _callers) in (
                stats.stats.items()
            )
            if name == function and filename.endswith(suffix)
        )
        found[label] = seconds
    return found, stats.total_tt


# --- report ----------------------------------------------------------------------------------


def fmt(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def load() -> str:
    return ", ".join(f"{value:.1f}" for value in os.getloadavg())


def report(
    b: Bench, fast: str, slow: str, other: str, quiet: str, manager_name: str | None
) -> None:
    n = len(b.data.bases)
    names = [
        "process floor: crawl --help",
        f"plain HTTP loop, {b.args.concurrency} at a time",
        "plain HTTP loop, 1 at a time",
        "rates_upsert (service alone)",
        "rates_accept (quarantine + upsert)",
        fast,
        slow,
        other,
        quiet,
    ]
    if manager_name:
        names.append(manager_name)
    print()
    header = (
        f"{'measurement':<40}{'wall s':>8}{'work s':>8}{'pages':>7}{'robots':>7}"
        f"{'stored':>9}{'stored/s':>10}{'CPU s':>7}{'RSS MB':>8}   runs, wall (s)"
    )
    print(header)
    for name in names:
        if not b.samples[name]:
            continue
        wall = b.median(name)
        stored = b.median(name, "stored")
        rate = stored / wall if stored else None
        runs = ", ".join(f"{s.wall:.2f}" for s in b.samples[name])
        print(
            f"{name:<40}{wall:>8.2f}{fmt(b.median(name, 'work'), '.2f'):>8}"
            f"{fmt(b.median(name, 'pages'), '.0f'):>7}{fmt(b.median(name, 'robots'), '.0f'):>7}"
            f"{fmt(stored, ',.0f'):>9}{fmt(rate, ',.0f'):>10}"
            f"{fmt(b.median(name, 'cpu'), '.2f'):>7}{fmt(b.median(name, 'rss_mb'), '.0f'):>8}"
            f"   {runs}"
        )
    print(
        "wall: the child process (or the call) end to end; work: inside it (the crawl report's "
        "seconds / the fetch loop / the call); CPU: user+sys of that process; RSS: its peak"
    )
    logs = [
        f"{name.removeprefix('crawl ')} {b.median(name, 'log_lines'):,.0f}"
        for name in (fast, slow, other, quiet)
        if b.samples[name]
    ]
    print(f"log lines per crawl process (stderr): {'; '.join(logs)}")
    print()
    parse = {name: statistics.median(values) for name, values in b.parse.items()}
    for name, seconds in parse.items():
        print(
            f"parse CPU per page, {name}: {seconds * 1e3:.3f} ms ({seconds / (n - 1) * 1e6:.1f} us "
            f"per rate, {b.page_bytes[name] / 1024:.1f} KiB per page; x{n} pages = "
            f"{seconds * n:.3f} s)"
        )
    fast_s = b.samples[fast]
    print(
        f"requests per full refresh ({n} bases): {fmt(b.median(fast, 'pages'), '.0f')} pages + "
        f"{fmt(b.median(fast, 'robots'), '.0f')} robots.txt per crawl process"
        + (
            f"; manager: {fmt(b.median(manager_name, 'pages'), '.0f')} pages + "
            f"{fmt(b.median(manager_name, 'robots'), '.0f')} robots.txt (one crawl per group)"
            if manager_name
            else ""
        )
    )
    print()
    parse_all = parse[SPIDER] * n
    accept = b.median("rates_accept (quarantine + upsert)")
    upsert = b.median("rates_upsert (service alone)")
    for name, plain in (
        (fast, f"plain HTTP loop, {b.args.concurrency} at a time"),
        (slow, "plain HTTP loop, 1 at a time"),
    ):
        fetch = b.median(plain, "work")
        floor = fetch + parse_all + accept
        wall, work = b.median(name), b.median(name, "work")
        print(
            f"{name}: wall {wall:.2f} s = {wall / floor:.1f}x fetch + parse + store "
            f"({fetch:.2f} + {parse_all:.2f} + {accept:.2f} = {floor:.2f} s); in-process "
            f"{work:.2f} s = {work / floor:.1f}x; process start/exit {wall - work:.2f} s"
        )
    if fast_s:
        crawl_rate = b.expected / b.median(fast)
        print(
            f"rates stored per second: crawl {crawl_rate:,.0f} (wall) / "
            f"{b.expected / b.median(fast, 'work'):,.0f} (in-process) vs the write service alone "
            f"{b.expected / upsert:,.0f} (rates_upsert) / {b.expected / accept:,.0f} (rates_accept)"
        )
    floor_mb = b.median("process floor: crawl --help", "rss_mb")
    print(
        f"{fast}: peak RSS {b.median(fast, 'rss_mb'):.0f} MB; process floor {floor_mb:.0f} MB "
        f"(Django set up, Scrapy imported); {fmt(b.median(fast, 'open_mb'), '.0f')} MB when the "
        "spider opens (Scrapy's memusage/startup); the rest is the crawl (items, the rows held "
        "for the one upsert at the end, the stats)"
    )
    floor_cpu = b.median("process floor: crawl --help", "cpu")
    store_cpu = b.median("rates_accept (quarantine + upsert)", "cpu")
    for name in (fast, slow):
        cpu = b.median(name, "cpu")
        rest = cpu - floor_cpu - parse_all - store_cpu
        print(
            f"{name}: CPU {cpu:.2f} s = process floor {floor_cpu:.2f} + parse {parse_all:.2f} + "
            f"store (client side) {store_cpu:.2f} + Scrapy and the item path {rest:.2f} "
            f"({rest / b.expected * 1e6:.0f} us per rate)"
        )
    if b.samples[quiet]:
        cpu = b.median(quiet, "cpu") - b.median(fast, "cpu")
        wall = b.median(quiet) - b.median(fast)
        print(
            f"per-item log records: {b.median(fast, 'log_lines'):,.0f} stderr lines a crawl; "
            f"{quiet!r} (no per-item record, no stats dump): CPU {cpu:+.2f} s, wall {wall:+.2f} s"
        )
    if b.profile:
        share = {label: seconds / b.profile_total for label, seconds in b.profile.items()}
        print(
            f"profiled crawl ({fast}, one extra run under cProfile, main thread only: the storage "
            f"runs in a worker thread): {b.profile_total:.2f} s in all; imports "
            f"{share['imports']:.0%}; the item path (Scraper.start_itemproc_async) "
            f"{share['item path']:.0%}, of which log records {share['log records']:.0%}, "
            f"signals {share['signals']:.0%}, Koel's pipelines {share['pipelines']:.0%}; "
            f"parse_open_er_api {share['parse']:.0%}; stats dump (pprint) {share['stats dump']:.0%}"
        )
    print()
    requests = (b.median(slow, "pages") or n) + (b.median(slow, "robots") or 1)
    waiting = (requests - 1) * PRODUCTION_DELAY
    start_exit = b.median(slow) - b.median(slow, "work")
    per_page = (b.median(slow, "work") - accept) / requests
    total = start_exit + waiting + accept
    print(
        f"production politeness (computed, not run): {requests:.0f} requests one at a time, "
        f"{PRODUCTION_DELAY} s apart on average = {waiting:.0f} s of delays per site per full "
        f"refresh; with process start/exit ({start_exit:.1f} s) and the store at the end "
        f"({accept:.1f} s): {total:.0f} s ({total / 60:.1f} min) + {requests:.0f} x the site's "
        f"response time. The delays are {waiting / total:.0%} of it: the crawl's per-page work "
        f"({per_page * 1e3:.0f} ms a page here) runs inside the {PRODUCTION_DELAY} s gaps, and "
        f"AutoThrottle only lengthens them (to the response time, when that is longer)."
    )
    primary = Currency.objects.filter(active=True, group="primary").count()
    daily = primary * 4 + (n - primary) * 2  # beat: primary every 6 h, secondary every 12 h
    minutes = daily * PRODUCTION_DELAY / 60
    print(
        f"beat schedule ({primary} primary bases 4x a day, {n - primary} secondary 2x): "
        f"{daily} pages a day from the first source that answers = {minutes:.1f} min a day of "
        "politeness waits"
    )


def main(args: argparse.Namespace) -> None:
    settings.DEBUG = False  # see bench/ingest.py: DEBUG=1 only supplies a development key
    logging.getLogger("koel.runs").setLevel(logging.WARNING)
    if not os.access(GNU_TIME, os.X_OK):
        sys.exit(f"Needs GNU time at {GNU_TIME} (Debian/Ubuntu: apt-get install time).")
    ensure_database_ready()
    env = child_environment()
    bases = list(
        Currency.objects.filter(active=True).order_by("code").values_list("code", flat=True)
    )
    groups = sorted(
        set(Currency.objects.filter(active=True).values_list("group", flat=True).distinct())
    )
    data, ecb_day, invented = content(bases)
    clock = Clock()
    check_window(clock)
    fast = f"crawl {SPIDER}, {args.concurrency} at a time"
    slow = f"crawl {SPIDER}, 1 at a time"
    other = f"crawl {OTHER}, {args.concurrency} at a time"
    quiet = f"crawl {SPIDER}, {args.concurrency}, no item log"
    manager_name = None if args.no_manager else f"manager: {len(groups)} group runs"
    print(
        f"PostgreSQL {connection.pg_version}, {os.cpu_count()} CPUs; {len(bases)} active bases x "
        f"{len(bases) - 1} targets = {len(bases) * (len(bases) - 1):,} rates per full refresh; "
        f"rates from the ECB file's {ecb_day}"
        + (f" (made up: {', '.join(invented)})" if invented else "")
        + f"; {args.repeats} runs per measurement; {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; "
        f"load average {load()}",
        flush=True,
    )
    saved = save_state()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("terminated"))
    with scrape_site.Site() as site:
        bench = Bench(args, site, data, env, clock, saved)
        try:
            bench.crawl("warm-up", SPIDER, args.concurrency, record=False)
            for round_ in range(args.repeats):
                bench.parse_cpu()
                bench.process_floor()
                bench.plain_http(args.concurrency)
                bench.plain_http(1)
                bench.service("rates_upsert (service alone)", rates_upsert)
                bench.service("rates_accept (quarantine + upsert)", rates_accept)
                bench.crawl(fast, SPIDER, args.concurrency)
                bench.crawl(slow, SPIDER, 1)
                bench.crawl(other, OTHER, args.concurrency)
                bench.crawl(quiet, SPIDER, args.concurrency, extra=QUIET)
                print(f"  round {round_ + 1}/{args.repeats} done", flush=True)
            if manager_name:
                bench.manager_setup()
                for run in range(args.repeats):
                    bench.manager(groups)
                    print(f"  manager run {run + 1}/{args.repeats} done", flush=True)
            if not args.no_profile:
                bench.profiled_crawl()
        finally:
            restore_state(saved, clock)
    print(f"load average (1, 5, 15 min) at the end: {load()}")
    report(bench, fast, slow, other, quiet, manager_name)


if __name__ == "__main__":
    main(parse_args())
