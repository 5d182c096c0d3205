"""Plain values passed between scrapers, services and selectors."""

import enum
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class RateRow:
    """What the write service accepts: 1 `base` = `rate` `target` at `observed_at`."""

    base: str
    target: str
    rate: Decimal
    observed_at: datetime
    derived: bool = False


class RatePath(enum.StrEnum):
    """How a rate was obtained from stored observations."""

    DIRECT = "direct"  # a stored base→target observation
    INVERSE = "inverse"  # 1 / the stored target→base observation
    CROSS = "cross"  # base→pivot × pivot→target


@dataclass(frozen=True, slots=True)
class Observation:
    """One stored rate, as selectors read it."""

    base: str
    target: str
    rate: Decimal
    observed_at: datetime
    source: str
    derived: bool


@dataclass(frozen=True, slots=True)
class SourceQuote:
    """One source's latest quote of a pair, as it entered (or was kept out of) a blend."""

    source: str
    rate: Decimal  # 1 base = rate target
    observed_at: datetime
    inverse: bool  # the source quoted target→base; this is its inverse
    derived: bool
    excluded: bool = False
    reason: str = ""  # why it was excluded


@dataclass(frozen=True, slots=True)
class RateAnswer:
    """THE rate of a pair that every reader is given (rates.reads.rate_for): 1 base = rate target.

    `observed_at` is the newest observation that went into it; `sources` those that did; `path`
    says whether a source quoted the pair (direct), its opposite (inverse) or both legs through
    the pivot `via` (cross); `derived` is True unless a source quoted exactly this pair. `quotes`
    lists every source's quote of a blended latest rate (excluded ones with a reason), else ().
    `refresh_window` (latest answers only) is the pair's schedule: older than that, it is stale.
    """

    base: str
    target: str
    rate: Decimal
    observed_at: datetime
    sources: tuple[str, ...]
    path: RatePath
    via: str | None
    derived: bool
    quotes: tuple[SourceQuote, ...] = ()
    refresh_window: timedelta | None = None

    def age(self, now: datetime) -> timedelta:
        return now - self.observed_at

    def stale(self, now: datetime) -> bool:
        """Older than its pair's refresh window (never, for a rate at an instant)."""
        return self.refresh_window is not None and self.age(now) > self.refresh_window


class Interval(enum.StrEnum):
    """A history's bucket: UTC-aligned, weeks from Monday. The sub-hour ones serve the live
    group's 30-second ticks (charts of the last hour or day, the monitor's analytics)."""

    MINUTE = "minute"
    FIVE_MINUTES = "5min"
    FIFTEEN_MINUTES = "15min"
    HOUR = "hour"
    DAY = "day"
    WEEK = "week"
    MONTH = "month"

    @property
    def width(self) -> timedelta | None:
        """A bucket's fixed length; None for a month (28 to 31 days)."""
        return _WIDTHS.get(self)


_WIDTHS = {
    Interval.MINUTE: timedelta(minutes=1),
    Interval.FIVE_MINUTES: timedelta(minutes=5),
    Interval.FIFTEEN_MINUTES: timedelta(minutes=15),
    Interval.HOUR: timedelta(hours=1),
    Interval.DAY: timedelta(days=1),
    Interval.WEEK: timedelta(weeks=1),
}
# Every fixed-width bucket starts a whole number of widths after this instant: a Monday, at
# midnight UTC, so days start at midnight and weeks on Monday, as PostgreSQL's date_trunc has it.
BUCKET_ORIGIN = datetime(2000, 1, 3, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Bucket:
    """One interval of a pair's history: open/high/low/close; `close` is the last value."""

    start: datetime
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    count: int
    last_observed_at: datetime


@dataclass(frozen=True, slots=True)
class History:
    base: str
    target: str
    interval: Interval
    path: RatePath
    via: str | None
    buckets: list[Bucket]
