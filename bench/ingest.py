"""Ingest benchmark: Koel's write service against raw COPY into the same table.

What is measured, in one run against the database in DATABASE_URL:

* `rates.ingest.services.rates_upsert(source=..., rows=[RateRow, ...])`, the only way rates
  enter Koel
  (validation, COPY into the partitioned table or, when keys may collide, into a staging table
  merged with INSERT .. ON CONFLICT, then the merge into rates_latestrates), for one full scrape
  (155 x 154 = 23,870 rows) and for a large import (23,870 pairs x 42 timestamps = 1,002,540
  rows);
* the same rows through raw psycopg `COPY rates_exchangerate (...) FROM STDIN` (cursor.copy and
  write_row, committed), the fastest way PostgreSQL has to load rows and the ceiling the service
  is judged against (goal: service >= 50% of COPY's rows/s);
* a stricter ceiling ("COPY text"): the same COPY fed the way the service feeds it (text lines
  from an f-string, in chunks) instead of write_row, so the ratio cannot come from client-side
  formatting alone;
* a re-run of the same batch through the service: an idempotent upsert where nothing changes,
  which is what a retried or overlapping scrape costs.

Each measurement is repeated (3 times by default) and the median is reported. Every batch gets
fresh keys (its timestamps are shifted by a minute per measurement) and its rows are deleted (and
the partitions vacuumed) after it is measured, so every insert goes into an empty key range of
partitions of the same size. A CHECKPOINT before each measurement keeps checkpoints out of it.

All rows use a dedicated source ("bench-ingest") in a fixed window (June-August 2025); they are
deleted before the run (left-overs of an aborted run) and at its end, with the source and its
rates_latestrates rows. Run from the project root:

    DATABASE_URL=postgres://... REDIS_URL=redis://... DEBUG=1 .venv/bin/python bench/ingest.py
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
import time  # noqa: E402
from collections import defaultdict  # noqa: E402
from contextlib import contextmanager  # noqa: E402
from datetime import UTC, datetime, timedelta  # noqa: E402
from decimal import Decimal  # noqa: E402

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import Error, connection, transaction  # noqa: E402
from django.db.migrations.executor import MigrationExecutor  # noqa: E402

from rates.ingest import bulk as ingest  # noqa: E402
from rates.ingest import services  # noqa: E402
from rates.ingest.partitions import partitions_ensure  # noqa: E402
from rates.models import Currency, Source  # noqa: E402
from rates.table import months_between, partition_name  # noqa: E402
from rates.types import RateRow  # noqa: E402

SOURCE = "bench-ingest"
# Fixed window, so that a later run can clean up what an aborted one left behind.
WINDOW_START = datetime(2025, 6, 1, tzinfo=UTC)
WINDOW_END = datetime(2025, 9, 1, tzinfo=UTC)
FIRST_OBSERVATION = WINDOW_START + timedelta(hours=16)
TIMESTAMP_STEP = timedelta(days=2)
LAST_OBSERVATION = FIRST_OBSERVATION + TIMESTAMP_STEP * 41  # 2025-08-22 16:00; 42 fit in
COPY_SQL = (
    "COPY rates_exchangerate (base_id, target_id, observed_at, source_id, rate, derived) FROM STDIN"
)
# A pool of distinct rate values: realistic digits without a Decimal object per row.
RATES = [Decimal(f"{0.5 + i / 997:.6f}") for i in range(997)]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument(
        "--currencies", type=int, default=155, help="active currencies (default 155)"
    )
    parser.add_argument(
        "--timestamps",
        type=int,
        default=42,
        choices=range(2, 43),
        metavar="2..42",
        help="timestamps in the large batch (default 42)",
    )
    parser.add_argument("--repeats", type=int, default=3, help="runs per measurement (default 3)")
    parser.add_argument(
        "--skip-large", action="store_true", help="only the one-scrape batch (quick check)"
    )
    return parser.parse_args()


# --- set-up and clean-up ---------------------------------------------------------------------


def ensure_database_ready() -> None:
    """Exit unless migrations are applied; load currencies and sources if there are none."""
    executor = MigrationExecutor(connection)
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        sys.exit("Unapplied migrations: run `manage.py migrate` against this database first.")
    if not Currency.objects.exists():
        call_command("bootstrap", "--skip-history")


def prepare(currencies: int) -> list[tuple[str, str]]:
    """The bench source, the window's partitions, no left-over rows; returns the pairs."""
    Source.objects.get_or_create(
        code=SOURCE, defaults={"name": "Benchmark (bench/ingest.py)", "enabled": False}
    )
    # Raw COPY does not create partitions: without them its rows would land in the default one.
    partitions_ensure(months_between(WINDOW_START, WINDOW_END - timedelta(seconds=1)))
    cleanup(latest_too=True)
    return pairs_of(active_codes(currencies))


def active_codes(count: int) -> list[str]:
    codes = list(
        Currency.objects.filter(active=True).order_by("code").values_list("code", flat=True)
    )
    if len(codes) < count:
        sys.exit(f"Only {len(codes)} active currencies; --currencies asks for {count}.")
    return codes[:count]


def pairs_of(codes: list[str]) -> list[tuple[str, str]]:
    return [(base, target) for base in codes for target in codes if base != target]


def cleanup(*, latest_too: bool = False) -> None:
    """Delete the bench rows in the window (untimed) and vacuum what they touched."""
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM rates_exchangerate "
            "WHERE source_id = %s AND observed_at >= %s AND observed_at < %s",
            [SOURCE, WINDOW_START, WINDOW_END],
        )
        if latest_too:
            cursor.execute("DELETE FROM rates_latestrates WHERE source_id = %s", [SOURCE])
        for month in months_between(WINDOW_START, WINDOW_END - timedelta(seconds=1)):
            cursor.execute(f'VACUUM "{partition_name(month)}"')
        cursor.execute("VACUUM rates_latestrates")


def remove_source() -> None:
    """The bench source itself (raw SQL: the ORM's PROTECT check would scan every partition)."""
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM rates_source WHERE code = %s", [SOURCE])


def checkpoint() -> None:
    """Flush dirty buffers now, so no checkpoint lands inside a measurement (needs superuser)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("CHECKPOINT")
    except Error:
        pass


# --- batches and the two ways to write them --------------------------------------------------


def batch(pairs: list[tuple[str, str]], timestamps: int, shift: int) -> list[RateRow]:
    """Every pair at each of `timestamps` instants two days apart, shifted by `shift` minutes.

    Batches end on the same instant (before the shift), so a one-timestamp batch is the large
    batch's last instant and every batch moves rates_latestrates forward, as scrapes do; the
    large batch reaches back behind it, as a back-fill does.
    """
    last = LAST_OBSERVATION
    first = last - TIMESTAMP_STEP * (timestamps - 1)
    moments = [first + TIMESTAMP_STEP * i + timedelta(minutes=shift) for i in range(timestamps)]
    return [
        RateRow(base, target, RATES[(i + j) % len(RATES)], moment)
        for j, moment in enumerate(moments)
        for i, (base, target) in enumerate(pairs)
    ]


def service_write(rows: list[RateRow]) -> int:
    return services.rates_upsert(source=SOURCE, rows=rows).written


def copy_write(rows: list[RateRow]) -> int:
    with transaction.atomic(), connection.cursor() as cursor, cursor.copy(COPY_SQL) as copy:
        for row in rows:
            copy.write_row((row.base, row.target, row.observed_at, SOURCE, row.rate, row.derived))
    return len(rows)


def copy_text_write(rows: list[RateRow]) -> int:
    """Raw COPY fed as the service feeds it (text lines formatted with an f-string, each
    instant formatted once, sent in chunks so the server parses while the client formats),
    without validation, deduplication or latest rows."""
    instants: dict[datetime, str] = {}
    with transaction.atomic(), connection.cursor() as cursor, cursor.copy(COPY_SQL) as copy:
        for start in range(0, len(rows), ingest.CHUNK_ROWS):
            lines = []
            for r in rows[start : start + ingest.CHUNK_ROWS]:
                when = instants.get(r.observed_at) or instants.setdefault(
                    r.observed_at, r.observed_at.isoformat()
                )
                lines.append(f"{r.base}\t{r.target}\t{when}\t{SOURCE}\t{r.rate}\tf\n")
            copy.write("".join(lines).encode())
    return len(rows)


class StatementTimer:
    """Django execute wrapper: seconds spent per kind of SQL statement (COPY is not seen)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)

    def __call__(self, execute, sql, params, many, context):
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds[self.label(sql)] += time.perf_counter() - start

    @staticmethod
    def label(sql: str) -> str:
        words = sql.split()
        if words[:2] == ["INSERT", "INTO"]:
            return f"INSERT INTO {words[2]}"
        return words[0] if words else "?"


@contextmanager
def timed(results: list[float]):
    """Append the block's wall-clock seconds to `results`, after an untimed CHECKPOINT."""
    checkpoint()
    start = time.perf_counter()
    yield
    results.append(time.perf_counter() - start)


# --- measurements ----------------------------------------------------------------------------


class Measurements:
    """Seconds per measurement name, and per-statement breakdowns of the service calls."""

    def __init__(self) -> None:
        self.seconds: dict[str, list[float]] = defaultdict(list)
        self.statements: dict[str, list[dict[str, float]]] = defaultdict(list)
        self.shift = 0  # minutes; a new value per batch gives fresh keys

    def next_batch(self, pairs, timestamps: int) -> list[RateRow]:
        self.shift += 1
        return batch(pairs, timestamps, self.shift)

    def service(self, name: str, rows: list[RateRow], *, expect: int) -> None:
        """One timed service call, with its SQL statements and its commit timed for the breakdown.

        The outer transaction only lets the commit (where rates_latestrates' deferred foreign
        keys are checked) be timed apart: the service's own atomic block becomes a savepoint,
        which costs two short round trips.
        """
        timer = StatementTimer()
        with timed(self.seconds[name]), transaction.atomic():
            with connection.execute_wrapper(timer):
                written = service_write(rows)
            committing = time.perf_counter()
        timer.seconds["commit"] = time.perf_counter() - committing
        assert written == expect, f"{name}: wrote {written}, expected {expect}"
        self.statements[name].append(dict(timer.seconds))

    def copy(self, name: str, rows: list[RateRow], write=copy_write) -> None:
        with timed(self.seconds[name]):
            write(rows)

    def python_side(self, label: str, rows: list[RateRow]) -> None:
        """The service's Python-side work alone (it runs inside every service call):
        validation, and building the batch (dedupe, newest per pair, COPY text)."""
        start = time.perf_counter()
        services.rates_validate(source=SOURCE, rows=rows)
        validated = time.perf_counter()
        b"".join(ingest.Batch(SOURCE, rows).copy_chunks())
        self.seconds[f"validation {label}"].append(validated - start)
        self.seconds[f"batch {label}"].append(time.perf_counter() - validated)

    def median(self, name: str) -> float:
        return statistics.median(self.seconds[name])


def run_size(m: Measurements, pairs, timestamps: int, label: str, repeats: int) -> None:
    """`repeats` rounds of: service insert + idempotent re-run, and COPY; order alternates."""
    for round_ in range(repeats):
        steps = [service_round, copy_round] if round_ % 2 == 0 else [copy_round, service_round]
        for step in steps:
            step(m, pairs, timestamps, label)
            cleanup()
        print(f"  {label}: round {round_ + 1}/{repeats} done", flush=True)


def service_round(m: Measurements, pairs, timestamps: int, label: str) -> None:
    rows = m.next_batch(pairs, timestamps)
    m.service(f"service {label}", rows, expect=len(rows))
    m.service(f"service re-run {label}", rows, expect=0)
    m.python_side(label, rows)


def copy_round(m: Measurements, pairs, timestamps: int, label: str) -> None:
    m.copy(f"COPY {label}", m.next_batch(pairs, timestamps))
    cleanup()
    m.copy(f"COPY text {label}", m.next_batch(pairs, timestamps), write=copy_text_write)


def warm_up(pairs) -> None:
    """One untimed scrape each way: staging table, caches, and every base's rates_latestrates
    row, so that measured runs update it, as scrapes after the first one do."""
    rows = batch(pairs, 1, 0)
    service_write(rows)
    cleanup()
    copy_write(rows)
    cleanup()


# --- report ----------------------------------------------------------------------------------


def report(m: Measurements, sizes: list[tuple[str, int]]) -> None:
    print()
    print(f"{'measurement':<28}{'rows':>11}{'median s':>11}{'rows/s':>12}   runs (s)")
    for label, rows in sizes:
        for kind in ("COPY", "COPY text", "service", "service re-run"):
            name = f"{kind} {label}"
            runs = ", ".join(f"{s:.3f}" for s in m.seconds[name])
            median = m.median(name)
            print(f"{name:<28}{rows:>11,}{median:>11.3f}{rows / median:>12,.0f}   {runs}")
    print()
    for label, _rows in sizes:
        service = m.median(f"service {label}")
        ratio = m.median(f"COPY {label}") / service
        strict = m.median(f"COPY text {label}") / service
        rerun = m.median(f"COPY {label}") / m.median(f"service re-run {label}")
        verdict = "met" if ratio >= 0.5 else "NOT met"
        print(
            f"{label}: service/COPY = {ratio:.0%} ({verdict}); service/COPY text = {strict:.0%}; "
            f"re-run/COPY = {rerun:.0%}"
        )
    print("goal: service >= 50% of COPY")
    print()
    for label, rows in sizes:
        print_breakdown(m, label, rows)


def print_breakdown(m: Measurements, label: str, rows: int) -> None:
    """Where the service's time goes, as medians over the runs (SQL timed client-side)."""
    for kind in ("service", "service re-run"):
        name = f"{kind} {label}"
        total = m.median(name)
        statements = m.statements[name]
        keys = sorted({key for run in statements for key in run})
        parts = {key: statistics.median(run.get(key, 0.0) for run in statements) for key in keys}
        validation = m.median(f"validation {label}")
        building = m.median(f"batch {label}")
        rest = total - validation - building - sum(parts.values())
        pieces = [f"validation (Python) {validation:.3f}", f"batch + COPY text {building:.3f}"]
        pieces += [f"{key} {seconds:.3f}" for key, seconds in parts.items() if seconds >= 0.001]
        pieces.append(f"COPY + rest {rest:.3f}")
        print(f"{name} ({total:.3f} s): " + ", ".join(pieces))


def main(args: argparse.Namespace) -> None:
    # DEBUG=1 only supplies a development SECRET_KEY here; with DEBUG on, Django would wrap
    # every cursor in its query-logging debug wrapper, which production does not pay for.
    settings.DEBUG = False
    ensure_database_ready()
    pairs = prepare(args.currencies)
    sizes = [("one scrape", len(pairs))]
    if not args.skip_large:
        sizes.append((f"{args.timestamps} timestamps", len(pairs) * args.timestamps))
    print(
        f"{connection.vendor} {connection.pg_version}, {os.cpu_count()} CPUs; "
        f"{len(pairs):,} pairs; {args.repeats} runs per measurement; "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        flush=True,
    )
    m = Measurements()
    try:
        warm_up(pairs)
        run_size(m, pairs, 1, sizes[0][0], args.repeats)
        if len(sizes) > 1:
            run_size(m, pairs, args.timestamps, sizes[1][0], args.repeats)
    finally:
        cleanup(latest_too=True)
        remove_source()
    report(m, sizes)


if __name__ == "__main__":
    main(parse_args())
