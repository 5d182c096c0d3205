"""What the Frankfurter layers read: providers' published rates per UTC day.

Koel's reads answer "the best rate of a pair" across sources; Frankfurter needs each source's
own rows (v1: the ECB's alone; v2: every provider, to blend or to list per provider), which
rates.reads.rows gives. Here are Frankfurter's choices over them: the ECB's euro rows for v1, one
frame per provider for v2, the day "latest" is as of, and coverage for the metadata routes.
"""

from collections import Counter
from collections.abc import Iterable
from datetime import UTC, date

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from rates.reads import newest_observation, rows

from .blend import LOOKBACK_DAYS, Row, shift

ECB = "ecb"
EUR = "EUR"
_FIRST_DAYS_KEY = "compat:frankfurter:first-days"


def today() -> date:
    """The service's day (UTC), as Frankfurter's Date.today on a UTC server."""
    return timezone.now().date()


def daily_rows(first: date, last: date, **filters: Iterable[str] | None) -> list[Row]:
    """Each source's last published rate of each pair on each UTC day in [first, last]."""
    return [Row(*row) for row in rows.daily_rows(first=first, last=last, **filters)]


def bucket_rows(first: date, last: date, group: str, *, sources=None, frames=None) -> list[Row]:
    """Per source and pair, the mean of its daily rates in each week or month bucket."""
    found = rows.bucket_rows(first=first, last=last, group=group, sources=sources, frames=frames)
    return [Row(*row) for row in found]


def ecb_rows(first: date, last: date, codes: Iterable[str] | None = None) -> list[Row]:
    """The ECB's euro reference rates on the days in [first, last] (all or `codes` only)."""
    return daily_rows(first, last, sources=[ECB], bases=[EUR], targets=codes)


def ecb_day_on_or_before(day: date) -> date | None:
    """The newest day ≤ `day` the ECB published, as Frankfurter's Rate.between snaps a range's
    start back to it. The ECB never pauses 14 days, so a bounded look back is exact."""
    return rows.newest_day_up_to(source=ECB, base=EUR, day=day, lookback_days=LOOKBACK_DAYS)


def latest_anchor(newest: date | None, *, window: int = LOOKBACK_DAYS, ahead: int = 0) -> date:
    """The day a "latest" look back of `window` days ends on: `ahead` days after today, or —
    when the newest data held (`newest`) is older than that window — the last day the window
    still reaches it. Frankfurter anchors on today because its sources never stop; an install
    that cannot scrape (offline, or its sources failing for a month) keeps answering its last
    rates with their real dates, as it answered them when they were `window` days old, rather
    than 404 or []. Fresh data gives today's anchor, so those answers are Frankfurter's."""
    current = shift(today(), ahead)
    return current if newest is None else min(current, shift(newest, window))


def ecb_newest_day() -> date | None:
    """The newest day the ECB published (v1's data)."""
    return rows.newest_day(source=ECB, base=EUR)


def providers_newest_day() -> date | None:
    """The newest day any provider published (v2's data)."""
    newest = newest_observation()
    return newest.astimezone(UTC).date() if newest else None


def coverage() -> dict[tuple[str, str], tuple[date, date]]:
    """{(source, currency): (first day, last day)} of the rates each source published.

    Last days come from LatestRates (one small read); first days from one aggregate over the
    whole table, cached (they move only when older history is imported) and recomputed when a
    source starts quoting a currency the cached answer does not know.
    """
    last = rows.last_days()
    first = cache.get(_FIRST_DAYS_KEY)
    if first is None or not set(last) <= set(first):
        first = rows.first_days()
        cache.set(_FIRST_DAYS_KEY, first, timeout=settings.KOEL_API_CACHE_SECONDS)
    return {key: (first[key], day) for key, day in last.items() if key in first}


def frames() -> set[str]:
    """Currencies providers publish against: USD, EUR and every source's own (CAD, NOK…)."""
    return {"USD", "EUR", *rows.source_bases()}


def one_frame(found: list[Row]) -> list[Row]:
    """Each provider's rows in one frame: the base or quote currency most of its rows share
    (ties: USD, then EUR). A central bank's feed is one frame already; a market source Koel
    scrapes for several bases would otherwise be averaged with its own cross rates."""
    counts: Counter = Counter()
    for row in found:
        counts[(row.provider, "base", row.base)] += 1
        counts[(row.provider, "quote", row.quote)] += 1
    best: dict[str, tuple] = {}
    for (provider, side, code), count in counts.items():
        rank = (count, code == "USD", code == "EUR", side == "base")
        if provider not in best or rank > best[provider][0]:
            best[provider] = (rank, side, code)
    return [
        r
        for r in found
        if (r.base if best[r.provider][1] == "base" else r.quote) == best[r.provider][2]
    ]
