"""Plain values passed between scrapers, services and selectors."""

import enum
from dataclasses import dataclass
from datetime import datetime
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
class Quote:
    """A rate answer, saying how it was obtained (`path`, `via`) and from what (`legs`)."""

    base: str
    target: str
    rate: Decimal
    observed_at: datetime
    path: RatePath
    legs: tuple[Observation, ...]
    via: str | None = None

    @property
    def derived(self) -> bool:
        """True unless a source quoted exactly this pair (a stored cross rate counts as derived)."""
        return self.path is not RatePath.DIRECT or any(leg.derived for leg in self.legs)

    @property
    def sources(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(leg.source for leg in self.legs))


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


@dataclass(frozen=True, slots=True)
class Conversion:
    quote: Quote
    amount: Decimal
    converted: Decimal


class Interval(enum.StrEnum):
    HOUR = "hour"
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


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
