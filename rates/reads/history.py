"""History of a pair over a range, in minute, 5-minute, 15-minute, hour, day, week or month
buckets with open/high/low/close.

Buckets are aggregated by PostgreSQL over the pruned partitions of [start, end). A pair no source
quotes is answered from the opposite pair (inverted: high and low swap) or, failing that, through
a pivot: each bucket's open/close is the product of the legs' open/close, and its high/low the
product of the legs' highs/lows — an envelope of the true cross range, marked by path=cross.
Buckets are aligned in UTC; weeks start on Monday. Calendar units are PostgreSQL's date_trunc;
5- and 15-minute buckets are date_bin'd from rates.types.BUCKET_ORIGIN, on the same grid.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import starmap

from rates.db import fast_cursor
from rates.exceptions import InvalidQuery, RateNotFound
from rates.reads.catalog import pivots, require_known, require_source
from rates.reads.checks import require_aware, require_pair
from rates.reads.resolution import DERIVED, invert
from rates.types import BUCKET_ORIGIN, Bucket, History, Interval, RatePath

# Bounds keep a single query's work (and a response) to a sensible size.
MAX_SPAN = {
    Interval.MINUTE: timedelta(days=8),
    Interval.FIVE_MINUTES: timedelta(days=31),
    Interval.FIFTEEN_MINUTES: timedelta(days=93),
    Interval.HOUR: timedelta(days=93),
    Interval.DAY: timedelta(days=3700),
    Interval.WEEK: timedelta(days=36600),
    Interval.MONTH: timedelta(days=36600),
}

# How a row's bucket is computed: date_trunc knows minutes, hours, days, weeks and months; a
# bucket of several minutes is date_bin'd on the grid the others share.
_TRUNCATED = "date_trunc(%(interval)s, observed_at, 'UTC')"
_BINNED = "date_bin(%(width)s, observed_at, %(origin)s)"
_BINNED_INTERVALS = {Interval.FIVE_MINUTES, Interval.FIFTEEN_MINUTES}

# A bucket's rates in one sort (time, then source: ties between sources always break the same
# way), its open the first and its close the last: one sort per bucket, not one per end.
_BUCKET_COLUMNS = """{bucket} AS bucket,
         array_agg(rate ORDER BY observed_at, source_id) AS rates,
         max(rate) AS high, min(rate) AS low, count(*) AS n, max(observed_at) AS newest"""
_BUCKET_ROW = "bucket, rates[1], high, low, rates[n], n, newest"

# One pair's buckets, on its (base, target, time) index range: what answers most histories.
_PAIR_SQL = f"""
SELECT {_BUCKET_ROW} FROM (
  SELECT {_BUCKET_COLUMNS}
  FROM rates_exchangerate
  WHERE base_id = %(base)s AND target_id = %(target)s
    AND observed_at >= %(start)s AND observed_at < %(end)s {{source_filter}}
  GROUP BY bucket
) b ORDER BY bucket
"""  # noqa: S608 - only constant SQL is formatted in

# The buckets of each pair (bases[i], targets[i]), each read on its own (base, target, time)
# index range: an array of pairs, not two arrays of codes, which the planner served by reading
# all of a base's rows.
_PAIRS_SQL = f"""
SELECT p.base, p.target, {_BUCKET_ROW}
FROM unnest(%(bases)s::text[], %(targets)s::text[]) AS p(base, target)
CROSS JOIN LATERAL (
  SELECT {_BUCKET_COLUMNS}
  FROM rates_exchangerate
  WHERE base_id = p.base AND target_id = p.target
    AND observed_at >= %(start)s AND observed_at < %(end)s {{source_filter}}
  GROUP BY bucket
) b
ORDER BY 1, 2, 3
"""  # noqa: S608 - only constant SQL is formatted in

Series = dict[tuple[str, str], list[Bucket]]


def history(
    base: str,
    target: str,
    start: datetime,
    end: datetime,
    interval: Interval = Interval.DAY,
    source: str | None = None,
) -> History:
    """Buckets of base→target over [start, end); raises RateNotFound when nothing answers."""
    interval = Interval(interval)  # the API passes the parameter's text
    _check_range(start, end, interval)
    require_pair(base, target)
    for path, via, buckets in _candidates(base, target, start, end, interval, source):
        if buckets:
            return History(base, target, interval, path, via, buckets)
    require_known([base, target])
    require_source(source)
    raise RateNotFound(
        f"No rates {base} -> {target} between {start.isoformat()} and {end.isoformat()}."
    )


def _candidates(base, target, start, end, interval, source):
    """Lazily: the direct series (one query, all most pairs need); then the inverse and each
    pivot's cross series, every leg from a second query."""
    window = _Window(start, end, interval, source)
    yield RatePath.DIRECT, None, _pair(base, target, window)
    others = [p for p in pivots() if p not in (base, target)]
    pairs = [(target, base)] + [pair for p in others for pair in _legs_through(base, target, p)]
    series = _series(pairs, window)
    yield RatePath.INVERSE, None, [_inverted(b) for b in series.get((target, base), [])]
    for pivot in others:
        first = _leg(series, base, pivot)
        yield RatePath.CROSS, pivot, _crossed(first, _leg(series, pivot, target)) if first else []


def _legs_through(base: str, target: str, pivot: str) -> list[tuple[str, str]]:
    return [(base, pivot), (pivot, base), (pivot, target), (target, pivot)]


def _check_range(start: datetime, end: datetime, interval: Interval) -> None:
    require_aware(start, "start")
    require_aware(end, "end")
    if start >= end:
        raise InvalidQuery("start must be before end.", field="start")
    if end - start > MAX_SPAN[interval]:
        days = MAX_SPAN[interval].days
        raise InvalidQuery(f"At most {days} days of {interval} buckets per request.", field="end")


@dataclass(frozen=True, slots=True)
class _Window:
    start: datetime
    end: datetime
    interval: Interval
    source: str | None

    def query(self, sql: str, params: dict) -> tuple[str, dict]:
        params.update(interval=str(self.interval), start=self.start, end=self.end)
        bucket = _TRUNCATED
        if self.interval in _BINNED_INTERVALS:
            bucket = _BINNED
            params.update(width=self.interval.width, origin=BUCKET_ORIGIN)
        source_filter = ""
        if self.source:
            source_filter, params["source"] = "AND source_id = %(source)s", self.source
        return sql.format(bucket=bucket, source_filter=source_filter), params


def _pair(base: str, target: str, window: _Window) -> list[Bucket]:
    with fast_cursor() as cursor:
        cursor.execute(*window.query(_PAIR_SQL, {"base": base, "target": target}))
        return list(starmap(Bucket, cursor.fetchall()))


def _series(pairs: list[tuple[str, str]], window: _Window) -> Series:
    params = {"bases": [b for b, _ in pairs], "targets": [t for _, t in pairs]}
    series: Series = {}
    with fast_cursor() as cursor:
        cursor.execute(*window.query(_PAIRS_SQL, params))
        for base, target, *bucket in cursor.fetchall():
            series.setdefault((base, target), []).append(Bucket(*bucket))
    return series


def _leg(series: Series, base: str, target: str) -> list[Bucket]:
    direct = series.get((base, target))
    if direct:
        return direct
    return [_inverted(b) for b in series.get((target, base), [])]


def _inverted(bucket: Bucket) -> Bucket:
    return Bucket(
        start=bucket.start,
        open=invert(bucket.open),
        high=invert(bucket.low),
        low=invert(bucket.high),
        close=invert(bucket.close),
        count=bucket.count,
        last_observed_at=bucket.last_observed_at,
    )


def _crossed(first: list[Bucket], second: list[Bucket]) -> list[Bucket]:
    """Combine two legs bucket by bucket; buckets missing from either leg are left out."""
    by_start = {b.start: b for b in second}
    crossed = []
    for a in first:
        b = by_start.get(a.start)
        if b is None:
            continue
        crossed.append(
            Bucket(
                start=a.start,
                open=DERIVED.multiply(a.open, b.open),
                high=DERIVED.multiply(a.high, b.high),
                low=DERIVED.multiply(a.low, b.low),
                close=DERIVED.multiply(a.close, b.close),
                count=min(a.count, b.count),
                last_observed_at=min(a.last_observed_at, b.last_observed_at),
            )
        )
    return crossed
