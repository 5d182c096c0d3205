"""Raw stored rows, per source and UTC day, for readers that blend rates themselves.

The rest of rates.reads answers "the rate of a pair" under Koel's one rule (see rates.reads).
A layer that reproduces another service's own blend — Frankfurter's v2 averages providers its
way, and its v1 serves the ECB's rows alone — needs each source's published rows instead; these
selectors give exactly those and decide nothing. Rows Koel derived itself (cross fills) are left
out: they are Koel's answers, not a source's publication.

Every query on the partitioned table carries both bounds on observed_at as timezone-aware values
(rates.reads.checks.require_aware), so PostgreSQL plans only the partitions of the days asked for.
Rows come back as plain tuples (source, base, target, day, rate as a float: the nearest double
to the stored decimal), for the caller to wrap in its own type in the one pass it makes anyway.
"""

import json
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta

from django.utils import timezone

from rates.db import fast_cursor
from rates.models import LatestRates, Source
from rates.reads.checks import require_aware

DailyRow = tuple[str, str, str, date, float]  # source, base, target, day, rate

# The first-days query reads the whole table: from before any rate to just past the newest.
EPOCH = datetime(1900, 1, 1, tzinfo=UTC)
# Koel holds no rate dated more than this many days ahead of today (UTC).
_AHEAD_DAYS = 3

_DAILY = """
SELECT DISTINCT ON (source_id, base_id, target_id, day) source_id, base_id, target_id,
       (observed_at AT TIME ZONE 'UTC')::date AS day, rate::float8
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
SELECT source_id, base_id, target_id, {label} AS bucket, avg(rate)::float8
FROM ({daily}) daily GROUP BY 1, 2, 3, 4
"""

_FIRST_DAYS = """
SELECT source_id, code, (min(first) AT TIME ZONE 'UTC')::date FROM (
  SELECT source_id, base_id, target_id, min(observed_at) AS first FROM rates_exchangerate
  WHERE observed_at >= %(start)s AND observed_at < %(end)s AND NOT derived GROUP BY 1, 2, 3
) pairs CROSS JOIN LATERAL (VALUES (base_id), (target_id)) AS codes(code) GROUP BY 1, 2
"""

_NEWEST_UP_TO = """
SELECT max(observed_at) FROM rates_exchangerate
WHERE observed_at >= %(start)s AND observed_at < %(end)s
  AND source_id = %(source)s AND base_id = %(base)s
"""


def day_bounds(first: date, last: date) -> dict | None:
    """[first 00:00 UTC, the day after last 00:00 UTC), both aware; None when no stored rate
    can fall inside (none is dated before 1900 or more than three days ahead of today)."""
    ahead = timezone.now().date() + timedelta(days=_AHEAD_DAYS)
    first, last = max(first, EPOCH.date()), min(last, ahead)
    if first > last:
        return None
    start = datetime.combine(first, time.min, tzinfo=UTC)
    end = datetime.combine(last + timedelta(days=1), time.min, tzinfo=UTC)
    require_aware(start, "start")
    require_aware(end, "end")
    return {"start": start, "end": end}


def daily_rows(
    *,
    first: date,
    last: date,
    sources: Iterable[str] | None = None,
    bases: Iterable[str] | None = None,
    targets: Iterable[str] | None = None,
    frames: Iterable[str] | None = None,
) -> list[DailyRow]:
    """Each source's last published rate of each pair on each UTC day in [first, last]; the
    filters narrow by source, base, target, or pairs with a `frames` currency on either side."""
    bounds = day_bounds(first, last)
    if bounds is None:
        return []
    params, filters = _filters(sources=sources, bases=bases, targets=targets, frames=frames)
    with fast_cursor() as cursor:
        cursor.execute(_DAILY.format(filters=filters), {**params, **bounds})
        return cursor.fetchall()


def bucket_rows(
    *,
    first: date,
    last: date,
    group: str,
    sources: Iterable[str] | None = None,
    frames: Iterable[str] | None = None,
) -> list[DailyRow]:
    """Per source and pair, the mean of its daily rates in each `group` ("week": Frankfurter's
    weeks from Jan 1, or "month") bucket, dated by the bucket's label."""
    bounds = day_bounds(first, last)
    if bounds is None:
        return []
    params, filters = _filters(sources=sources, frames=frames)
    sql = _BUCKETS.format(label=_LABELS[group], daily=_DAILY.format(filters=filters))
    with fast_cursor() as cursor:
        cursor.execute(sql, {**params, **bounds})
        return cursor.fetchall()


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


def newest_day(*, source: str, base: str) -> date | None:
    """The newest UTC day `source` published a rate for `base` (from LatestRates: no partition
    read), or None."""
    row = LatestRates.objects.filter(base_id=base, source_id=source).values_list("newest").first()
    return row[0].astimezone(UTC).date() if row else None


def newest_day_up_to(*, source: str, base: str, day: date, lookback_days: int) -> date | None:
    """The newest UTC day ≤ `day`, and at most `lookback_days` before it, that `source`
    published a rate for `base`; None when there is none in that window."""
    newest = newest_day(source=source, base=base)
    if newest is None or newest <= day:
        return newest
    if day < EPOCH.date():  # nothing is stored before it (and date.min minus days overflows)
        return None
    bounds = day_bounds(day - timedelta(days=lookback_days), day)
    if bounds is None:
        return None
    with fast_cursor() as cursor:
        cursor.execute(_NEWEST_UP_TO, {**bounds, "source": source, "base": base})
        found = cursor.fetchone()[0]
    return found.astimezone(UTC).date() if found else None


def last_days() -> dict[tuple[str, str], date]:
    """{(source, currency): the last UTC day the source published a rate involving it}."""
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


def first_days() -> dict[tuple[str, str], date]:
    """{(source, currency): the first UTC day the source published a rate involving it}: one
    aggregate over the whole table, for callers to cache."""
    params = {"start": EPOCH, "end": timezone.now() + timedelta(days=_AHEAD_DAYS)}
    with fast_cursor() as cursor:
        cursor.execute(_FIRST_DAYS, params)
        return {(source, code): day for source, code, day in cursor.fetchall()}


def source_bases() -> set[str]:
    """Every currency some source publishes against (Source.bases)."""
    return {code for codes in Source.objects.values_list("bases", flat=True) for code in codes}
