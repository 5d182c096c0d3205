"""The analytics' arithmetic on NumPy arrays: see the package docstring for the method."""

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from rates.exceptions import RateNotFound
from rates.reads import history
from rates.types import BUCKET_ORIGIN, Interval

Pair = tuple[str, str]

WINDOWS = {"24h": timedelta(hours=24), "7d": timedelta(days=7), "30d": timedelta(days=30)}
# About 24 to 300 buckets a window: fine enough for the live group's 30-second ticks, and the
# 30-day one on days, which every daily source fills too.
DEFAULT_INTERVALS = {"24h": Interval.FIVE_MINUTES, "7d": Interval.HOUR, "30d": Interval.DAY}
# Annualising counts calendar buckets, weekends included, as the grid does: not trading days.
YEAR = timedelta(days=365)
MIN_RETURNS = 2


@dataclass(frozen=True)
class Grid:
    """The buckets of [start, end): slot 0 holds `start`, the last slot the instant before `end`."""

    start: datetime
    end: datetime
    interval: Interval

    @property
    def width(self) -> timedelta:
        return self.interval.width

    @property
    def first(self) -> int:
        return (self.start - BUCKET_ORIGIN) // self.width

    @property
    def slots(self) -> int:
        return -((BUCKET_ORIGIN - self.end) // self.width) - self.first  # ceil, then less first

    @property
    def periods_per_year(self) -> float:
        return YEAR / self.width

    def slot(self, bucket_start: datetime) -> int:
        return (bucket_start - BUCKET_ORIGIN) // self.width - self.first


@dataclass(frozen=True)
class Series:
    """A pair's closes on the grid (NaN where a bucket has no value), and how they were read."""

    pair: Pair
    closes: np.ndarray
    path: str | None  # None: no rate answers the pair in the window
    via: str | None

    @property
    def buckets(self) -> int:
        return int(np.count_nonzero(~np.isnan(self.closes)))

    def returns(self) -> np.ndarray:
        """Log returns between adjacent buckets; NaN where either has no value."""
        return np.diff(np.log(self.closes))

    @property
    def observations(self) -> int:
        """The returns there are: a gap drops the ones on either side of it."""
        return int(np.count_nonzero(np.isfinite(self.returns())))


def pair_series(pairs: list[Pair], grid: Grid) -> list[Series]:
    return [_series(pair, grid) for pair in pairs]


def _series(pair: Pair, grid: Grid) -> Series:
    closes = np.full(grid.slots, np.nan)
    try:
        found = history(*pair, start=grid.start, end=grid.end, interval=grid.interval)
    except RateNotFound:
        return Series(pair, closes, None, None)
    for bucket in found.buckets:
        closes[grid.slot(bucket.start)] = float(bucket.close)
    return Series(pair, closes, str(found.path), found.via)


@dataclass(frozen=True)
class Volatility:
    series: Series
    observations: int
    deviation: float | None  # per interval
    annualized: float | None
    reason: str | None


def volatility(series: Series, grid: Grid, *, annualize: bool) -> Volatility:
    returns = series.returns()
    returns = returns[np.isfinite(returns)]
    n = len(returns)
    if n < MIN_RETURNS:
        return Volatility(series, n, None, None, _too_few(n, "a standard deviation"))
    deviation = float(np.std(returns, ddof=1))
    annualized = deviation * math.sqrt(grid.periods_per_year) if annualize else None
    return Volatility(series, n, deviation, annualized, None)


@dataclass(frozen=True)
class Correlation:
    series: list[Series]
    observations: int  # returns at the buckets where every pair has one
    matrix: list[list[float | None]]
    reasons: list[str | None]  # per pair: why its row and column are null
    reason: str | None  # why the whole matrix is null


def correlation(series: list[Series]) -> Correlation:
    returns = np.vstack([s.returns() for s in series])
    common = returns[:, np.all(np.isfinite(returns), axis=0)]
    n = common.shape[1]
    size = len(series)
    if n < MIN_RETURNS:
        empty = [[None] * size for _ in range(size)]
        return Correlation(series, n, empty, [None] * size, _too_few(n, "a correlation", True))
    still = np.std(common, axis=1) == 0
    with np.errstate(invalid="ignore", divide="ignore"):  # a still pair's row: 0 / 0
        found = np.corrcoef(common)
    np.fill_diagonal(found, 1.0)  # exactly, not 1 - 1e-16
    matrix = [
        [None if still[i] or still[j] else float(found[i, j]) for j in range(size)]
        for i in range(size)
    ]
    reasons = [STILL if is_still else None for is_still in still]
    return Correlation(series, n, matrix, reasons, None)


STILL = (
    "The pair did not move over the common buckets: its log returns have no variance, so its "
    "correlation with any pair (itself included) is undefined."
)


def _too_few(n: int, what: str, common: bool = False) -> str:
    where = "at buckets where every pair has one" if common else "between adjacent buckets"
    return (
        f"{n} log return(s) {where}; {what} needs at least {MIN_RETURNS}. A coarser interval "
        "or a longer window may have more."
    )
