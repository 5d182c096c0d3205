"""Alerts benchmark: the evaluation of 10,000 rules after one full ingest, beside the ingest.

What is measured, in one run against the database in DATABASE_URL (its own database: the run
writes rates of a bench source and rules of a bench user, and deletes them at the end):

* the ingest: one full scrape (every pair of the active currencies, ~23,870 rates) through
  `rates.ingest.services.rates_upsert` (validation + `rates_write`), and `rates_write` alone;
  two earlier scrapes (one and two days before) are written untimed, so the change_pct windows
  (1, 24 and 48 hours) have a rate in force at their start;
* the evaluation `alerts.evaluation.rules_evaluate(codes=<every code of the scrape>)` of 10,000
  active rules over 2,000 pairs (above / below / change_pct in turn; thresholds drawn around the
  previous day's rate, so a realistic share fires): wall time, statements issued, their time
  (client side: database time plus round trips) and firings stored;
* the same evaluation of the 100 rules on 20 of the pairs, for the query-count verdict
  (the number of statements must not grow with the rules, bases and windows).

Goals (issue 11): evaluation <= 10% of the ingest's time; a constant number of queries.
The ingest's rates_landed signal is disconnected from the alerts receiver during the run, so
the evaluation runs (and is timed) here rather than in a Celery task. The rules deliver in-app
only (no e-mail, webhook or Slack): no delivery task is queued. Run from the project root:

    DATABASE_URL=postgres://.../koel_bench_alerts REDIS_URL=redis://... DEBUG=1 \\
        .venv/bin/python bench/alerts.py
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
import cProfile  # noqa: E402
import pstats  # noqa: E402
import random  # noqa: E402
import time  # noqa: E402
from datetime import UTC, datetime, timedelta  # noqa: E402
from decimal import Decimal  # noqa: E402

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402

from alerts.evaluation import rules_evaluate  # noqa: E402
from alerts.models import AlertFiring, AlertRule  # noqa: E402
from alerts.receivers import rates_landed_evaluate  # noqa: E402
from bench.django_env import ensure_database_ready  # noqa: E402
from rates.ingest import services  # noqa: E402
from rates.models import Currency, Source  # noqa: E402
from rates.reads import known_codes  # noqa: E402
from rates.signals import rates_landed  # noqa: E402
from rates.types import RateRow  # noqa: E402

SOURCE, USER = "bench-alerts", "bench-alerts"
WINDOW_START, WINDOW_END = datetime(2025, 6, 1, tzinfo=UTC), datetime(2025, 9, 1, tzinfo=UTC)
SCRAPE = datetime(2025, 8, 20, 16, tzinfo=UTC)  # the timed one; two untimed ones before it
WINDOWS = (1, 24, 48)  # hours


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--currencies", type=int, default=155, help="at most (default 155)")
    parser.add_argument("--rules", type=int, default=10_000, help="active rules (default 10,000)")
    parser.add_argument("--pairs", type=int, default=2_000, help="pairs they watch (2,000)")
    parser.add_argument("--profile", action="store_true", help="cProfile the full evaluation")
    parser.add_argument("--seed", type=int, default=11, help="random seed (default 11)")
    return parser.parse_args()


# --- set-up and clean-up ---------------------------------------------------------------------


def cleanup() -> None:
    """The bench rules (and their firings), user, rates and source (raw SQL for the rates: the
    ORM's PROTECT check would scan every partition)."""
    AlertFiring.objects.filter(rule__owner__username=USER).delete()
    AlertRule.objects.filter(owner__username=USER).delete()
    get_user_model().objects.filter(username=USER).delete()
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM rates_exchangerate "
            "WHERE source_id = %s AND observed_at >= %s AND observed_at < %s",
            [SOURCE, WINDOW_START, WINDOW_END],
        )
        cursor.execute("DELETE FROM rates_latestrates WHERE source_id = %s", [SOURCE])
        cursor.execute("DELETE FROM rates_source WHERE code = %s", [SOURCE])


def codes_of(count: int) -> list[str]:
    codes = Currency.objects.filter(active=True).order_by("code").values_list("code", flat=True)
    return list(codes)[:count]


# --- rates and rules -------------------------------------------------------------------------


class Market:
    """A value per currency (rate b→t = value t / value b), moved by up to ±2% a day."""

    def __init__(self, codes: list[str], rng: random.Random) -> None:
        self.codes, self.rng = codes, rng
        self.values = {code: rng.uniform(0.3, 150.0) for code in codes}

    def move(self) -> None:
        self.values = {c: v * (1 + self.rng.uniform(-0.02, 0.02)) for c, v in self.values.items()}

    def rate(self, base: str, target: str) -> float:
        return self.values[target] / self.values[base]

    def scrape(self, at: datetime) -> list[RateRow]:
        return [
            RateRow(b, t, Decimal(f"{self.rate(b, t):.8g}"), at)
            for b in self.codes
            for t in self.codes
            if b != t
        ]


def rules_make(owner, market: Market, pairs: list[tuple[str, str]], count: int, rng) -> None:
    """`count` rules over `pairs`, above / below / change_pct in turn, thresholds drawn around
    the current (previous day's) rate: above up to 3% over it, below up to 3% under it,
    change_pct from 0.5% to 4%, over the windows in turn."""
    rules = []
    for i in range(count):
        base, target = pairs[i % len(pairs)]
        rate = market.rate(base, target)
        kind = ("above", "below", "change_pct")[i % 3]
        if kind == "above":
            threshold = rate * (1 + rng.uniform(-0.005, 0.03))
        elif kind == "below":
            threshold = rate * (1 - rng.uniform(-0.005, 0.03))
        else:
            threshold = rng.uniform(0.5, 4.0)
        rules.append(
            AlertRule(
                owner=owner,
                base=base,
                target=target,
                condition=kind,
                threshold=Decimal(f"{threshold:.10g}"),
                window_hours=WINDOWS[(i // 3) % len(WINDOWS)],
                cooldown=timedelta(0),
                notify_email=False,
            )
        )
    AlertRule.objects.bulk_create(rules, batch_size=2_000)


# --- measurements ----------------------------------------------------------------------------


class Statements:
    """Django execute wrapper: statements issued and their seconds (client side)."""

    def __init__(self) -> None:
        self.count, self.seconds, self.each = 0, 0.0, []

    def __call__(self, execute, sql, params, many, context):
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            took = time.perf_counter() - start
            self.count += 1
            self.seconds += took
            self.each.append((took, " ".join(sql.split())[:70]))


def timed(call):
    """(result, wall seconds, Statements) of `call()`."""
    statements = Statements()
    start = time.perf_counter()
    with connection.execute_wrapper(statements):
        result = call()
    return result, time.perf_counter() - start, statements


def ingest(rows: list[RateRow]) -> tuple[float, float]:
    """(rates_upsert seconds, of which rates_write) of one scrape."""
    start = time.perf_counter()
    valid = services.rates_validate(source=SOURCE, rows=rows)
    validated = time.perf_counter()
    services.rates_write(valid=valid)
    end = time.perf_counter()
    return end - start, end - validated


def evaluate(codes: list[str]):
    """(firings, wall seconds, Statements) of one evaluation of every active bench rule."""
    return timed(lambda: rules_evaluate(codes=codes))


def rules_reset(active_ids: list[int] | None) -> None:
    """Every bench rule armed and never fired, only `active_ids` active (None: all)."""
    rules = AlertRule.objects.filter(owner__username=USER)
    AlertFiring.objects.filter(rule__owner__username=USER).delete()
    rules.update(armed=True, last_fired_at=None, active=active_ids is None)
    if active_ids is not None:
        rules.filter(id__in=active_ids).update(active=True)


def run(args: argparse.Namespace) -> dict:
    rng = random.Random(args.seed)
    codes = codes_of(args.currencies)
    Source.objects.create(code=SOURCE, name="Benchmark (bench/alerts.py)", enabled=False)
    market = Market(codes, rng)
    for days in (2, 1):  # untimed: the rates in force at the windows' starts
        services.rates_upsert(source=SOURCE, rows=market.scrape(SCRAPE - timedelta(days=days)))
    owner = get_user_model().objects.create_user(USER, f"{USER}@example.com", None)
    every = [(b, t) for b in codes for t in codes if b != t]
    pairs = rng.sample(every, min(args.pairs, len(every)))
    rules_make(owner, market, pairs, args.rules, rng)
    market.move()
    rows = market.scrape(SCRAPE)
    upsert, write = ingest(rows)
    # The small run first: the 100 rules on 20 of the pairs.
    ids = AlertRule.objects.filter(owner=owner).order_by("id").values_list("id", flat=True)
    small = [i for n, i in enumerate(ids) if n % len(pairs) < 20]
    known_codes(codes)  # the catalog is held from here on, as in a running process
    rules_reset(small)
    small_run = evaluate(codes)
    rules_reset(None)
    if args.profile:
        profiler = cProfile.Profile()
        full_run = profiler.runcall(evaluate, codes)
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
    else:
        full_run = evaluate(codes)
    stored = AlertFiring.objects.filter(rule__owner=owner).count()
    return dict(
        codes=len(codes), rows=len(rows), pairs=len(pairs), rules=args.rules, upsert=upsert,
        write=write, small=small_run, small_rules=len(small), full=full_run, stored=stored,
    )  # fmt: skip


def report(r: dict) -> None:
    print(f"\none scrape: {r['rows']:,} rates of {r['codes']} currencies")
    print(
        f"  rates_upsert (validation + write) {r['upsert']:.3f} s; rates_write {r['write']:.3f} s"
    )
    for label, rules, (firings, seconds, st) in (
        ("small", r["small_rules"], r["small"]),
        ("full", r["rules"], r["full"]),
    ):
        print(
            f"evaluation, {label}: {rules:,} rules: {seconds:.3f} s wall, {st.count} statements "
            f"({st.seconds:.3f} s), {len(firings):,} firings"
        )
    firings, seconds, statements = r["full"]
    for took, sql in statements.each:
        print(f"  {took * 1000:7.1f} ms  {sql}")
    print(f"firings stored: {r['stored']:,} of {r['rules']:,} rules ({r['pairs']:,} pairs)")
    share = seconds / r["upsert"]
    verdict = "met" if share <= 0.10 else "NOT met"
    print(f"evaluation / ingest (rates_upsert) = {share:.1%} ({verdict}; goal <= 10%)")
    print(f"evaluation / rates_write = {seconds / r['write']:.1%}")
    constant = statements.count <= r["small"][2].count
    print(
        f"statements: {r['small'][2].count} for {r['small_rules']} rules, {statements.count} for "
        f"{r['rules']:,} ({'constant: met' if constant else 'NOT constant: NOT met'})"
    )


def main(args: argparse.Namespace) -> None:
    # DEBUG=1 only supplies a development SECRET_KEY; Django's query-logging cursor is not
    # what production pays for.
    settings.DEBUG = False
    ensure_database_ready()
    cleanup()
    print(
        f"{connection.vendor} {connection.pg_version}, {os.cpu_count()} CPUs, load "
        f"{', '.join(f'{x:.2f}' for x in os.getloadavg())}; {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        flush=True,
    )
    rates_landed.disconnect(rates_landed_evaluate)
    try:
        results = run(args)
    finally:
        cleanup()
    report(results)


if __name__ == "__main__":
    main(parse_args())
