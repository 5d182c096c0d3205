"""Frankfurter v2's blend, over Koel's sources as providers.

Per snapshot (each provider's newest rate of each pair within 14 days: carry-forward), every
provider's rows are rebased to USD (base conversion), rates far from the median of four or more
providers are flagged as outliers (consensus), and the rest are averaged with weights that decay
after three days (weighted average); the result is then rebased to the requested base by
division (derive). Each step follows Frankfurter's lib/ code (carry_forward.rb, blender.rb,
base_conversion.rb, consensus.rb, weighted_average.rb, versions/v2/rate_query.rb#derive) so the
same rows give the same doubles. Pegs (Frankfurter's own seed data) are not used: Koel has none.
"""

import math
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from .ruby import fsum

LOOKBACK_DAYS = 14  # CarryForward::LOOKBACK_DAYS
PIVOT = "USD"
MIN_PROVIDERS, MULTIPLIER, MIN_DEVIATION = 4, 10, 0.05  # Consensus
DECAY_GRACE_DAYS, DECAY_RATE = 3, 0.5  # WeightedAverage


@dataclass(frozen=True, slots=True)
class Row:
    """One provider's rate of one pair on one day (1 base = rate quote)."""

    provider: str
    base: str
    quote: str
    date: date
    rate: float
    excluded: bool = False


@dataclass(slots=True)
class Blended:
    """A blended rate with the providers' own (rebased) rates behind it."""

    base: str
    quote: str
    date: date
    rate: float
    providers: list[dict] = field(default_factory=list)


def shift(day: date, days: int) -> date:
    """`day` moved by `days`, held within the calendar Python can count (dates such as
    0001-01-01 or 9999-12-31 are valid requests)."""
    try:
        return day + timedelta(days=days)
    except OverflowError:
        return date.min if days < 0 else date.max


def carry_forward(rows: Iterable[Row], anchor: date) -> list[Row]:
    """Each (provider, base, quote)'s newest row in [anchor - 14 days, anchor]."""
    cutoff = shift(anchor, -LOOKBACK_DAYS)
    best: dict[tuple, Row] = {}
    for row in rows:
        if cutoff <= row.date <= anchor:
            key = (row.provider, row.base, row.quote)
            held = best.get(key)
            if held is None or row.date > held.date:
                best[key] = row
    return list(best.values())


def each_snapshot(rows: Iterable[Row], anchors: Iterable[date]) -> Iterator[tuple[date, list]]:
    """carry_forward(rows, anchor) for ascending anchors, advancing one cursor per key."""
    groups: dict[tuple, list[Row]] = defaultdict(list)
    for row in rows:
        groups[(row.provider, row.base, row.quote)].append(row)
    for group in groups.values():
        group.sort(key=lambda r: r.date)
    cursors = dict.fromkeys(groups, -1)
    for anchor in sorted(anchors):
        cutoff, contributors = shift(anchor, -LOOKBACK_DAYS), []
        for key, group in groups.items():
            i = cursors[key]
            while i + 1 < len(group) and group[i + 1].date <= anchor:
                i += 1
            cursors[key] = i
            if i >= 0 and group[i].date >= cutoff:
                contributors.append(group[i])
        yield anchor, contributors


def blend(rows: list[Row], *, today: date) -> list[Blended]:
    """Rows of any providers → one USD-based rate per quote (Blender#blend)."""
    return weighted_average(consensus(rebase(rows)), today=today)


def rebase(rows: list[Row]) -> list[Row]:
    """BaseConversion: each provider's rows as USD → quote, through its own bridges."""
    by_provider: dict[str, list[Row]] = defaultdict(list)
    for row in rows:
        by_provider[row.provider].append(row)
    converted = []
    for group in by_provider.values():
        index: dict[tuple[str, str], Row] = {}
        for row in group:
            index.setdefault((row.base, row.quote), row)
        converted += _reconcile([r for r in (_to_pivot(row, index) for row in group) if r])
    return converted


def _to_pivot(row: Row, index: dict) -> Row | None:
    if row.base == PIVOT:
        return row
    if row.quote == PIVOT:
        return replace(row, base=PIVOT, quote=row.base, rate=1.0 / row.rate)
    if bridge := index.get((PIVOT, row.quote)):
        return replace(row, base=PIVOT, quote=row.base, rate=bridge.rate / row.rate)
    if bridge := index.get((PIVOT, row.base)):
        return replace(row, base=PIVOT, rate=row.rate * bridge.rate)
    if bridge := index.get((row.base, PIVOT)):
        return replace(row, base=PIVOT, rate=row.rate / bridge.rate)
    return None


def _reconcile(rows: list[Row]) -> list[Row]:
    # One provider reaching a quote twice on one day (two bridges): their mean.
    groups: dict[tuple, list[Row]] = defaultdict(list)
    for row in rows:
        groups[(row.date, row.quote)].append(row)
    return [
        g[0] if len(g) == 1 else replace(g[0], rate=fsum(r.rate for r in g) / len(g))
        for g in groups.values()
    ]


def consensus(rows: list[Row]) -> list[Row]:
    """Flag (provider, quote) rates far from the median of ≥4 providers as excluded."""
    flagged = set()
    by_quote: dict[str, list[Row]] = defaultdict(list)
    for row in rows:
        by_quote[row.quote].append(row)
    for group in by_quote.values():
        if len({r.provider for r in group}) < MIN_PROVIDERS:
            continue
        med = _median([r.rate for r in group])
        mad = _median([abs(r.rate - med) for r in group])
        threshold = max(MULTIPLIER * mad, MIN_DEVIATION * abs(med))
        flagged |= {(r.provider, r.quote) for r in group if abs(r.rate - med) > threshold}
    return [replace(r, excluded=True) if (r.provider, r.quote) in flagged else r for r in rows]


def _median(values: list[float]) -> float:
    return sorted(values)[len(values) // 2]


def weighted_average(rows: list[Row], *, today: date) -> list[Blended]:
    if not rows:
        return []
    reference = min(max(r.date for r in rows), today)
    by_quote: dict[str, list[Row]] = defaultdict(list)
    for row in rows:
        by_quote[row.quote].append(row)
    blended = []
    for quote in sorted(by_quote):
        group = by_quote[quote]
        contributors = [r for r in group if not r.excluded]
        if not contributors:
            continue
        weights = [_weight((reference - r.date).days) for r in contributors]
        rate = fsum(r.rate * w for r, w in zip(contributors, weights, strict=True)) / fsum(weights)
        newest = max(contributors, key=lambda r: r.date)
        blended.append(Blended(newest.base, quote, newest.date, rate, _providers(group)))
    return blended


def _weight(days_old: int) -> float:
    return math.exp(-DECAY_RATE * max(days_old - DECAY_GRACE_DAYS, 0))


def _providers(group: list[Row]) -> list[dict]:
    latest: dict[str, Row] = {}
    for row in group:
        if row.provider not in latest or row.date > latest[row.provider].date:
            latest[row.provider] = row
    entries = []
    for key in sorted(latest):
        row = latest[key]
        entry = {"key": key, "date": row.date, "rate": row.rate}
        if row.excluded:
            entry["excluded"] = True
        entries.append(entry)
    return entries


def derive(rows: list[Blended], *, target: str) -> list[Blended]:
    """USD-based blends → `target`-based ones by division; [] when `target` has no rate."""
    anchor = next((r for r in rows if r.quote == target), None)
    if anchor is None:
        return []
    derived = [
        _rebased(r, target, r.quote, anchor.rate, invert=False) for r in rows if r.quote != target
    ]
    derived.append(_rebased(anchor, target, anchor.base, anchor.rate, invert=True))
    return derived


def _rebased(row: Blended, base: str, quote: str, by: float, *, invert: bool) -> Blended:
    def move(x: float) -> float:
        return 1.0 / x if invert else x / by

    providers = [{**p, "rate": move(p["rate"])} for p in row.providers]
    return Blended(base, quote, row.date, move(row.rate), providers)
