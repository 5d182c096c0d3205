"""The pair page's data: a range of a pair's history in buckets that fit it, its summary and
the sources behind it, from rates.reads (history, rate_for, history_sources) like the API's
/api/v1/rates/history/, which pair.js asks for the same ranges after a change."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from rates.exceptions import RateNotFound
from rates.reads import history, history_sources, rate_for
from rates.reads.resolution import DERIVED
from rates.types import Bucket, Interval, RatePath

# The range buttons, in days back from the pair's newest observation; Max: everything held.
RANGES = {"1W": 7, "1M": 30, "3M": 91, "1Y": 365, "5Y": 1826, "Max": 36500}
DEFAULT_RANGE = "1Y"
# A bucket per day up to about a year, per week up to about five (261 points), else per month:
# 25 years are 300 points, a few tens of kB whatever the range.
_BUCKETS = ((timedelta(days=400), Interval.DAY), (timedelta(days=2000), Interval.WEEK))


@dataclass(frozen=True, slots=True)
class Summary:
    low: Decimal
    high: Decimal
    open: Decimal
    close: Decimal
    change: Decimal
    change_pct: Decimal


@dataclass(frozen=True, slots=True)
class PairHistory:
    start: date  # the first day asked for (inclusive)
    end: date  # the last day asked for (inclusive)
    interval: Interval
    path: RatePath
    via: str | None
    buckets: list[Bucket]
    summary: Summary
    sources: dict[str, int]


def bucket_for(span: timedelta) -> Interval:
    """The bucket that keeps a range of `span` to a few hundred points at most."""
    for longest, interval in _BUCKETS:
        if span <= longest:
            return interval
    return Interval.MONTH


def newest_day(base: str, target: str) -> date | None:
    """The day of the pair's latest rate: ranges end there, not today (a stopped install
    still shows the history it holds)."""
    try:
        return rate_for(base, target).observed_at.astimezone(UTC).date()
    except RateNotFound:
        return None


def range_days(name: str, newest: date) -> tuple[date, date]:
    return newest - timedelta(days=RANGES[name]), newest


def pair_history(base: str, target: str, start: date, end: date) -> PairHistory | None:
    """Base→target over the days [start, end], None when nothing answers there."""
    start_at = datetime.combine(start, time.min, tzinfo=UTC)
    end_at = datetime.combine(end + timedelta(days=1), time.min, tzinfo=UTC)
    interval = bucket_for(end_at - start_at)
    try:
        found = history(base, target, start_at, end_at, interval)
    except RateNotFound:
        return None
    sources = history_sources(found, start_at, end_at)
    summary = summarize(found.buckets)
    return PairHistory(start, end, interval, found.path, found.via, found.buckets, summary, sources)


def summarize(buckets: list[Bucket]) -> Summary:
    """As the API's history summary: the range's low, high, first open, last close and the
    change between those two."""
    first, last = buckets[0].open, buckets[-1].close
    change = last - first
    return Summary(
        low=min(b.low for b in buckets),
        high=max(b.high for b in buckets),
        open=first,
        close=last,
        change=change,
        change_pct=DERIVED.multiply(DERIVED.divide(change, first), 100),
    )


def chart_series(buckets: list[Bucket]) -> list[list]:
    """The chart's data as uPlot takes it: [[unix seconds…], [close…]] (closes as floats: a
    chart draws pixels; the table and summary keep the decimals)."""
    return [[int(b.start.timestamp()) for b in buckets], [float(b.close) for b in buckets]]
