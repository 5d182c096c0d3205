"""What the Frankfurter layers read: providers' published rates per UTC day.

Koel's selectors answer "the best rate of a pair" across sources; Frankfurter needs each source's
own rows (v1: the ECB's alone; v2: every provider, to blend or to list per provider), so the
reads are here. Every query on the partitioned table carries both bounds on observed_at as
timezone-aware values (see rates.reads.selectors), and rows Koel derived itself are left out:
Frankfurter serves what providers published.
"""

import json
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from rates.db import fast_cursor
from rates.models import LatestRates, Source
from rates.reads import require_aware

from .blend import LOOKBACK_DAYS, Row, shift

ECB = "ecb"
EUR = "EUR"
# The coverage query reads the whole table: from before any rate to just past the newest.
_EPOCH = datetime(1900, 1, 1, tzinfo=UTC)
_FIRST_DAYS_KEY = "compat:frankfurter:first-days"

_DAILY = """
SELECT DISTINCT ON (source_id, base_id, target_id, day) source_id, base_id, target_id,
       (observed_at AT TIME ZONE 'UTC')::date AS day, rate
FROM rates_exchangerate
WHERE observed_at >= %(start)s AND observed_at < %(end)s AND NOT derived {filters}
ORDER BY source_id, base_id, target_id, day, observed_at DESC
"""

# Frankfurter's week buckets are SQLite's date(strftime('%Y-01-01') + 7 * %W days): Jan 1 plus
# seven days per Monday-started week of the year (lib/bucket.rb), not the week's Monday.
_LABELS = {
    "week": "make_date(extract(year FROM day)::int, 1, 1)"
    " + 7 * ((extract(doy FROM day)::int + 7 - extract(isodow FROM day)::int) / 7)",
    "month": "date_trunc('month', day)::date",
}
_BUCKETS = """
SELECT source_id, base_id, target_id, {label} AS bucket, avg(rate)
FROM ({daily}) daily GROUP BY 1, 2, 3, 4
"""

_FIRST_DAYS = """
SELECT source_id, code, (min(first) AT TIME ZONE 'UTC')::date FROM (
  SELECT source_id, base_id, target_id, min(observed_at) AS first FROM rates_exchangerate
  WHERE observed_at >= %(start)s AND observed_at < %(end)s AND NOT derived GROUP BY 1, 2, 3
) pairs CROSS JOIN LATERAL (VALUES (base_id), (target_id)) AS codes(code) GROUP BY 1, 2
"""


def today() -> date:
    """The service's day (UTC), as Frankfurter's Date.today on a UTC server."""
    return timezone.now().date()


def day_bounds(first: date, last: date) -> dict | None:
    """[first 00:00 UTC, the day after last 00:00 UTC), both aware; None when no stored rate
    can fall inside (Koel holds no rate dated before 1900 or more than two days ahead)."""
    first, last = max(first, _EPOCH.date()), min(last, shift(today(), 3))
    if first > last:
        return None
    start = datetime.combine(first, time.min, tzinfo=UTC)
    end = datetime.combine(last + timedelta(days=1), time.min, tzinfo=UTC)
    require_aware(start, "start")
    require_aware(end, "end")
    return {"start": start, "end": end}


def daily_rows(
    first: date,
    last: date,
    *,
    sources: Iterable[str] | None = None,
    bases: Iterable[str] | None = None,
    targets: Iterable[str] | None = None,
    frames: Iterable[str] | None = None,
) -> list[Row]:
    """Each source's last published rate of each pair on each UTC day in [first, last]."""
    bounds = day_bounds(first, last)
    if bounds is None:
        return []
    params, filters = _filters(sources=sources, bases=bases, targets=targets, frames=frames)
    with fast_cursor() as cursor:
        cursor.execute(_DAILY.format(filters=filters), {**params, **bounds})
        return [Row(s, b, t, day, float(rate)) for s, b, t, day, rate in cursor.fetchall()]


def bucket_rows(first: date, last: date, group: str, *, sources=None, frames=None) -> list[Row]:
    """Per source and pair, the mean of its daily rates in each week or month bucket."""
    bounds = day_bounds(first, last)
    if bounds is None:
        return []
    params, filters = _filters(sources=sources, frames=frames)
    sql = _BUCKETS.format(label=_LABELS[group], daily=_DAILY.format(filters=filters))
    with fast_cursor() as cursor:
        cursor.execute(sql, {**params, **bounds})
        return [Row(s, b, t, day, float(rate)) for s, b, t, day, rate in cursor.fetchall()]


def _filters(**values) -> tuple[dict, str]:
    params, clauses = {}, []
    columns = {"sources": "source_id", "bases": "base_id", "targets": "target_id"}
    for name, codes in values.items():
        if codes is None:
            continue
        # A code with a NUL cannot be stored, and PostgreSQL refuses it even as a parameter.
        params[name] = sorted({code for code in codes if "\x00" not in code})
        if name == "frames":
            clauses.append("AND (base_id = ANY(%(frames)s) OR target_id = ANY(%(frames)s))")
        else:
            clauses.append(f"AND {columns[name]} = ANY(%({name})s)")
    return params, " ".join(clauses)


def ecb_rows(first: date, last: date, codes: Iterable[str] | None = None) -> list[Row]:
    """The ECB's euro reference rates on the days in [first, last] (all or `codes` only)."""
    return daily_rows(first, last, sources=[ECB], bases=[EUR], targets=codes)


def ecb_day_on_or_before(day: date) -> date | None:
    """The newest day ≤ `day` the ECB published, as Frankfurter's Rate.between snaps a range's
    start back to it. The ECB never pauses 14 days, so a bounded look back is exact; past its
    newest day, that day (from LatestRates, no partition read)."""
    newest = ecb_newest_day()
    if newest is None or newest <= day:
        return newest
    params = day_bounds(shift(day, -LOOKBACK_DAYS), day)
    if params is None:
        return None
    with fast_cursor() as cursor:
        cursor.execute(
            "SELECT max(observed_at) FROM rates_exchangerate WHERE observed_at >= %(start)s"
            " AND observed_at < %(end)s AND source_id = 'ecb' AND base_id = 'EUR'",
            params,
        )
        found = cursor.fetchone()[0]
    return found.astimezone(UTC).date() if found else None


def ecb_newest_day() -> date | None:
    row = LatestRates.objects.filter(base_id=EUR, source_id=ECB).values_list("newest").first()
    return row[0].astimezone(UTC).date() if row else None


def coverage() -> dict[tuple[str, str], tuple[date, date]]:
    """{(source, currency): (first day, last day)} of the rates each source published.

    Last days come from LatestRates (one small read); first days from one aggregate over the
    whole table, cached (they move only when older history is imported) and recomputed when a
    source starts quoting a currency the cached answer does not know.
    """
    last = _last_days()
    first = cache.get(_FIRST_DAYS_KEY)
    if first is None or not set(last) <= set(first):
        first = _first_days()
        cache.set(_FIRST_DAYS_KEY, first, timeout=settings.KOEL_API_CACHE_SECONDS)
    return {key: (first[key], day) for key, day in last.items() if key in first}


def _last_days() -> dict[tuple[str, str], date]:
    last: dict[tuple[str, str], date] = {}
    for base, source, quotes in LatestRates.objects.values_list("base_id", "source_id", "quotes"):
        for target, (_rate, when, derived) in json.loads(quotes).items():
            if derived:
                continue
            day = datetime.fromisoformat(when).astimezone(UTC).date()
            for key in ((source, target), (source, base)):
                if key not in last or day > last[key]:
                    last[key] = day
    return last


def _first_days() -> dict[tuple[str, str], date]:
    params = {"start": _EPOCH, "end": timezone.now() + timedelta(days=3)}
    with fast_cursor() as cursor:
        cursor.execute(_FIRST_DAYS, params)
        return {(source, code): day for source, code, day in cursor.fetchall()}


def frames() -> set[str]:
    """Currencies providers publish against: USD, EUR and every source's own (CAD, NOK…)."""
    bases = {code for codes in Source.objects.values_list("bases", flat=True) for code in codes}
    return {"USD", "EUR", *bases}


def one_frame(rows: list[Row]) -> list[Row]:
    """Each provider's rows in one frame: the base or quote currency most of its rows share
    (ties: USD, then EUR). A central bank's feed is one frame already; a market source Koel
    scrapes for several bases would otherwise be averaged with its own cross rates."""
    counts: Counter = Counter()
    for row in rows:
        counts[(row.provider, "base", row.base)] += 1
        counts[(row.provider, "quote", row.quote)] += 1
    best: dict[str, tuple] = {}
    for (provider, side, code), count in counts.items():
        rank = (count, code == "USD", code == "EUR", side == "base")
        if provider not in best or rank > best[provider][0]:
            best[provider] = (rank, side, code)
    return [
        r
        for r in rows
        if (r.base if best[r.provider][1] == "base" else r.quote) == best[r.provider][2]
    ]


def sources() -> list[Source]:
    return list(Source.objects.order_by("code"))
