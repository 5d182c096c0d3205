"""Read benchmark: Koel's selectors against a rate table holding the full history's partitions.

Why: every hot read must stay fast once the partitioned table holds decades of monthly
partitions (1999-01 to now, as the ECB history import produces) and tens of millions of rows.
Planning over ~340 partitions is what makes unbounded queries slow, so the table is filled first:

* fill: >= 20 million daily observations (13 base currencies x every other active currency, one
  rate a day at 16:00 UTC from 1999-01-01 to today) under a dedicated source ("bench"), generated
  server-side month by month (INSERT .. SELECT FROM generate_series, ordered by the primary key),
  plus the matching rates_latestrates rows (one per base); then VACUUM ANALYZE and a CHECKPOINT
  (so flushing the fill does not land in the measurements). The source's name records what was
  filled (through which day), so a run after one with --keep tops the data up to today or skips
  the fill.
* measure, from this client through Django's connection (planning and round trip included),
  N iterations (default 500) after a warm-up, random pairs/instants from a fixed seed:
    - rate_get(base, target)                latest for a pair (rates_latestrates)
    - rates_for_base(base)                  latest against every active currency
    - rate_get(base, target, at=instant)    the rate in force at a random instant in history
    - rate_history(.., start, end)          one-year daily series ending on a random day
  printing p50/p99 (goal: each <= 5 ms p99), and as baselines in the same run: `SELECT 1`
  (the floor: one round trip), and "latest for a pair" straight from the partitioned table
  (ORDER BY observed_at DESC LIMIT 1) without and with a time bound, to show what plan-time
  partition pruning saves. Also printed per query: SQL statements per call, locks it holds
  (pg_locks inside a transaction), and server planning/execution time (EXPLAIN ANALYZE).

By default the bench rows are deleted at the end; --keep leaves them for the next run, --drop
only deletes them (partitions holding nothing else are truncated). Run from the project root:

    DATABASE_URL=postgres://... REDIS_URL=redis://... DEBUG=1 .venv/bin/python bench/queries.py
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
import random  # noqa: E402
import re  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from datetime import UTC, date, datetime, timedelta  # noqa: E402

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import Error, connection, transaction  # noqa: E402
from django.db.migrations.executor import MigrationExecutor  # noqa: E402

from rates.ingest.partitions import partitions_ensure  # noqa: E402
from rates.models import Currency, Source  # noqa: E402
from rates.reads import history as rate_history  # noqa: E402
from rates.reads import rate_for as rate_get  # noqa: E402
from rates.reads import rates_for_base  # noqa: E402
from rates.table import existing_partitions, month_start, months_between  # noqa: E402
from rates.types import Interval  # noqa: E402

SOURCE = "bench"
FIRST_DAY = date(1999, 1, 1)
OBSERVED_AT = timedelta(hours=16)  # one observation a day, at 16:00 UTC
BASES = ["USD", "EUR", "GBP", "JPY", "CHF", "CAD", "AUD", "CNY", "SEK", "NOK", "NZD", "SGD", "HKD"]
MARKER = re.compile(r"bench fill: (\d+) bases x (\d+) currencies through (\d{4}-\d{2}-\d{2})")
GOAL_MS = 5.0

# One month of every pair, in primary-key order so index inserts append instead of splitting
# pages all over. Rates wander +-5% around a per-pair level (0.01 .. 10,000).
FILL_SQL = """
INSERT INTO rates_exchangerate (base_id, target_id, observed_at, source_id, rate, derived)
SELECT p.base, p.target, d, %(source)s,
       round((p.level * (1 + 0.05 * sin(extract(epoch FROM d) / 2592000 + p.phase)))::numeric, 6),
       false
FROM unnest(%(bases)s::varchar[], %(targets)s::varchar[], %(levels)s::float8[],
            %(phases)s::float8[]) AS p(base, target, level, phase)
CROSS JOIN generate_series(%(first)s::timestamptz, %(last)s::timestamptz, interval '1 day') AS d
ORDER BY p.base, p.target, d
"""

LATEST_SQL = """
INSERT INTO rates_latestrates AS l (base_id, source_id, quotes, newest)
SELECT base_id, source_id,
       jsonb_object_agg(target_id, jsonb_build_array(rate::text, observed_at, derived)),
       max(observed_at)
FROM (
    SELECT DISTINCT ON (base_id, target_id) * FROM rates_exchangerate
    WHERE source_id = %(source)s AND observed_at >= %(since)s AND observed_at <= %(until)s
    ORDER BY base_id, target_id, observed_at DESC
) newest
GROUP BY base_id, source_id
ON CONFLICT (base_id, source_id) DO UPDATE SET quotes = EXCLUDED.quotes, newest = EXCLUDED.newest
"""

UNBOUNDED_LATEST_SQL = """
SELECT rate, observed_at FROM rates_exchangerate
WHERE base_id = %s AND target_id = %s ORDER BY observed_at DESC LIMIT 1
"""

BOUNDED_LATEST_SQL = """
SELECT rate, observed_at FROM rates_exchangerate
WHERE base_id = %s AND target_id = %s AND observed_at >= %s ORDER BY observed_at DESC LIMIT 1
"""


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument(
        "-n", "--iterations", type=int, default=500, help="timed calls per query (default 500)"
    )
    parser.add_argument("--warmup", type=int, default=50, help="untimed calls first (default 50)")
    parser.add_argument("--bases", type=int, default=13, help=f"base currencies, from {BASES}")
    parser.add_argument(
        "--seed", type=int, default=42, help="seed for pairs and instants (default 42)"
    )
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--keep", action="store_true", help="keep the bench rows after the run")
    group.add_argument("--drop", action="store_true", help="only delete the bench rows, then exit")
    return parser.parse_args()


# --- set-up ----------------------------------------------------------------------------------


def ensure_database_ready() -> None:
    """Exit unless migrations are applied; load currencies and sources if there are none."""
    executor = MigrationExecutor(connection)
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        sys.exit("Unapplied migrations: run `manage.py migrate` against this database first.")
    if not Currency.objects.exists():
        call_command("bootstrap", "--skip-history")


@dataclass
class Fill:
    """What the bench data is: pairs of `bases` x `codes`, daily from FIRST_DAY to `through`."""

    bases: list[str]
    codes: list[str]
    through: date  # last day with an observation
    pairs: list[tuple[str, str]] = field(init=False)

    def __post_init__(self) -> None:
        self.pairs = [(b, t) for b in self.bases for t in self.codes if t != b]

    def label(self, through: date) -> str:
        return (
            f"bench fill: {len(self.bases)} bases x {len(self.codes)} currencies through {through}"
        )

    @property
    def rows(self) -> int:
        return len(self.pairs) * ((self.through - FIRST_DAY).days + 1)


def plan_fill(base_count: int) -> Fill:
    codes = list(
        Currency.objects.filter(active=True).order_by("code").values_list("code", flat=True)
    )
    bases = [code for code in BASES if code in codes][:base_count]
    now = datetime.now(UTC)
    through = now.date() if now - OBSERVED_AT >= midnight(now.date()) else now.date() - timedelta(1)
    return Fill(bases=bases, codes=codes, through=through)


def midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def filled_through(fill: Fill) -> date | None:
    """The last day already filled, from the bench source's name; None if there is no fill."""
    source = Source.objects.filter(code=SOURCE).first()
    if source is None:
        return None
    match = MARKER.fullmatch(source.name)
    if match is None:
        sys.exit(f"Source {SOURCE!r} exists but was not made by this script; not touching it.")
    bases, codes, through = int(match[1]), int(match[2]), date.fromisoformat(match[3])
    if (bases, codes) != (len(fill.bases), len(fill.codes)):
        sys.exit(f"The existing fill is {bases} x {codes} currencies: run with --drop first.")
    return through


# --- fill ------------------------------------------------------------------------------------


def fill_table(fill: Fill) -> None:
    """Create the partitions, then insert whatever days are missing, a month per transaction."""
    partitions_ensure(months_between(midnight(FIRST_DAY), midnight(fill.through)))
    done = filled_through(fill)
    if done is None:
        Source.objects.create(code=SOURCE, name=fill.label(FIRST_DAY - timedelta(1)), enabled=False)
        done = FIRST_DAY - timedelta(1)
    if done >= fill.through:
        print(f"fill: present through {done}, nothing to add", flush=True)
        latest_refresh(fill)  # cheap; in case a fill was interrupted just before it
        return
    print(
        f"fill: {len(fill.pairs):,} pairs, daily {done + timedelta(1)} .. {fill.through}",
        flush=True,
    )
    started = time.perf_counter()
    arrays = pair_arrays(fill.pairs)
    for month in months_between(midnight(done + timedelta(1)), midnight(fill.through)):
        first = max(done + timedelta(1), month.date())
        last = min(fill.through, (month_start(month + timedelta(days=31)) - timedelta(1)).date())
        fill_days(fill, arrays, first, last)
        if month.month == 12 and month.year % 5 == 0:
            print(f"  through {last}: {time.perf_counter() - started:.0f} s", flush=True)
    latest_refresh(fill)
    print(f"fill: inserted in {time.perf_counter() - started:.0f} s; vacuuming", flush=True)
    vacuum()
    print(f"fill: done in {time.perf_counter() - started:.0f} s", flush=True)


def pair_arrays(pairs: list[tuple[str, str]]) -> dict[str, list]:
    """Per-pair columns for FILL_SQL: codes, a price level and a phase (seeded, repeatable)."""
    rng = random.Random(1999)
    return {
        "bases": [base for base, _ in pairs],
        "targets": [target for _, target in pairs],
        "levels": [10 ** rng.uniform(-2, 4) for _ in pairs],
        "phases": [rng.uniform(0, 6.3) for _ in pairs],
    }


def fill_days(fill: Fill, arrays: dict, first: date, last: date) -> None:
    """Every pair on every day in [first, last] (one month at most) and the marker, atomically."""
    params = {
        **arrays,
        "source": SOURCE,
        "first": midnight(first) + OBSERVED_AT,
        "last": midnight(last) + OBSERVED_AT,
    }
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL synchronous_commit = off")  # bench data: a crash may lose it
        cursor.execute("SET LOCAL work_mem = '64MB'")  # sort a month in memory
        cursor.execute(FILL_SQL, params)
        Source.objects.filter(code=SOURCE).update(name=fill.label(last))


def latest_refresh(fill: Fill) -> None:
    """rates_latestrates for the bench source: each pair's newest row (the fill's last day)."""
    until = midnight(fill.through) + OBSERVED_AT
    with connection.cursor() as cursor:
        cursor.execute(
            LATEST_SQL, {"source": SOURCE, "since": until - timedelta(days=7), "until": until}
        )


def vacuum() -> None:
    """Visibility maps (index-only scans) and statistics: every partition, and the parent's own
    statistics; partitions vacuumed before (an interrupted fill) are quickly skipped through."""
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE) rates_exchangerate")
        cursor.execute("VACUUM (ANALYZE) rates_latestrates")
    checkpoint()


def checkpoint() -> None:
    """Write the fill's dirty pages out now rather than during the measurements (superuser)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("CHECKPOINT")
    except Error:
        pass


def drop() -> None:
    """Delete the bench rows: truncate partitions holding nothing else, delete elsewhere."""
    started = time.perf_counter()
    truncated = 0
    with connection.cursor() as cursor:
        for name in sorted(existing_partitions()):
            cursor.execute(
                f'SELECT EXISTS (SELECT 1 FROM "{name}" WHERE source_id <> %s)', [SOURCE]
            )
            if cursor.fetchone()[0]:
                cursor.execute(f'DELETE FROM "{name}" WHERE source_id = %s', [SOURCE])
            else:
                cursor.execute(f'TRUNCATE "{name}"')
                truncated += 1
        cursor.execute("DELETE FROM rates_latestrates WHERE source_id = %s", [SOURCE])
        cursor.execute("DELETE FROM rates_source WHERE code = %s", [SOURCE])
    elapsed = time.perf_counter() - started
    print(f"drop: bench rows deleted ({truncated} partitions truncated) in {elapsed:.1f} s")


# --- measurement -----------------------------------------------------------------------------


@dataclass
class Query:
    name: str
    call: Callable[[random.Random], object]  # one call with random arguments
    baseline: bool = False
    samples_ms: list[float] = field(default_factory=list)
    statements: list[tuple[str, list | dict]] = field(default_factory=list)
    locks: int = 0
    plan_ms: float = 0.0
    exec_ms: float = 0.0

    def percentile(self, p: int) -> float:
        return statistics.quantiles(self.samples_ms, n=100, method="inclusive")[p - 1]


def queries(fill: Fill) -> list[Query]:
    """The measured calls; each draws its pair / instant from the generator it is given."""
    now = datetime.now(UTC)
    history_start = midnight(FIRST_DAY) + timedelta(days=365)
    span = (now - history_start).days

    def pair(rng):
        return rng.choice(fill.pairs)

    def instant(rng):
        return history_start + timedelta(seconds=rng.uniform(0, span * 86400))

    def latest(rng):
        base, target = pair(rng)
        return rate_get(base=base, target=target)

    def for_base(rng):
        return rates_for_base(base=rng.choice(fill.bases))

    def at_instant(rng):
        base, target = pair(rng)
        return rate_get(base=base, target=target, at=instant(rng))

    def history(rng):
        base, target = pair(rng)
        end = midnight(instant(rng).date())
        start = end - timedelta(days=365)
        return rate_history(base=base, target=target, start=start, end=end, interval=Interval.DAY)

    def raw(sql, params):
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    return [
        Query("SELECT 1", lambda rng: raw("SELECT 1", []), baseline=True),
        Query("rate_get latest", latest),
        Query("rates_for_base latest", for_base),
        Query("rate_get at=instant", at_instant),
        Query("rate_history 1y daily", history),
        Query(
            "latest, unbounded (raw)",
            lambda rng: raw(UNBOUNDED_LATEST_SQL, list(pair(rng))),
            baseline=True,
        ),
        Query(
            "latest, >= now-30d (raw)",
            lambda rng: raw(BOUNDED_LATEST_SQL, [*pair(rng), now - timedelta(days=30)]),
            baseline=True,
        ),
    ]


def measure(query: Query, iterations: int, warmup: int, seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(warmup):
        query.call(rng)
    for _ in range(iterations):
        start = time.perf_counter_ns()
        query.call(rng)
        query.samples_ms.append((time.perf_counter_ns() - start) / 1e6)
    inspect(query, random.Random(seed))


def inspect(query: Query, rng: random.Random) -> None:
    """One more call, inside a transaction: its SQL statements and the locks they leave held;
    then the server's planning and execution time for those statements (median of 5)."""

    def capture(execute, sql, params, many, context):
        query.statements.append((sql, params))
        return execute(sql, params, many, context)

    with transaction.atomic(), connection.execute_wrapper(capture):
        query.call(rng)
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_locks WHERE pid = pg_backend_pid()")
            query.locks = cursor.fetchone()[0]  # includes this query's own (see SELECT 1)
    query.statements = query.statements[:-1]  # the pg_locks query
    plans = [explain(sql, params) for sql, params in query.statements for _ in range(5)]
    n = len(query.statements)
    query.plan_ms = statistics.median(p for p, _ in plans) * n if n else 0.0
    query.exec_ms = statistics.median(e for _, e in plans) * n if n else 0.0


def explain(sql: str, params) -> tuple[float, float]:
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, SUMMARY, FORMAT JSON) {sql}", params)
        result = cursor.fetchone()[0][0]
    return result["Planning Time"], result["Execution Time"]


# --- report ----------------------------------------------------------------------------------


def table_facts(fill: Fill) -> None:
    partitions = existing_partitions()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM rates_exchangerate")
        rows = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM rates_latestrates")
        latest = cursor.fetchone()[0]
    monthly = sum(1 for name in partitions if not name.endswith("_default"))
    print(
        f"partitions: {len(partitions)} ({monthly} monthly + default); "
        f"rows: {rows:,} (bench fill: {fill.rows:,} = {len(fill.pairs):,} pairs x "
        f"{(fill.through - FIRST_DAY).days + 1:,} days); rates_latestrates rows: {latest:,}"
    )


def report(results: list[Query], iterations: int) -> None:
    print()
    print(
        f"{'query':<26}{'p50 ms':>8}{'p99 ms':>8}{'max ms':>8}{'stmts':>7}{'locks':>7}"
        f"{'plan ms':>9}{'exec ms':>9}   (n={iterations}; plan/exec: server, per call)"
    )
    for q in results:
        print(
            f"{q.name:<26}{q.percentile(50):>8.2f}{q.percentile(99):>8.2f}{max(q.samples_ms):>8.2f}"
            f"{len(q.statements):>7}{q.locks:>7}{q.plan_ms:>9.2f}{q.exec_ms:>9.2f}"
            + ("   baseline" if q.baseline else "")
        )
    print()
    for q in results:
        if not q.baseline:
            verdict = "met" if q.percentile(99) <= GOAL_MS else "NOT met"
            print(f"{q.name}: p99 {q.percentile(99):.2f} ms -> {verdict}")
    print(f"goal: each <= {GOAL_MS:g} ms p99")


def main(args: argparse.Namespace) -> None:
    # DEBUG=1 only supplies a development SECRET_KEY here; with DEBUG on, Django would wrap
    # every cursor in its query-logging debug wrapper, which production does not pay for.
    settings.DEBUG = False
    ensure_database_ready()
    if args.drop:
        drop()
        return
    fill = plan_fill(args.bases)
    print(
        f"PostgreSQL {connection.pg_version}, {os.cpu_count()} CPUs; "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        flush=True,
    )
    fill_table(fill)
    table_facts(fill)
    try:
        results = queries(fill)
        for query in results:
            measure(query, args.iterations, args.warmup, args.seed)
            print(f"  measured {query.name}", flush=True)
        report(results, args.iterations)
    finally:
        if not args.keep:
            drop()


if __name__ == "__main__":
    main(parse_args())
