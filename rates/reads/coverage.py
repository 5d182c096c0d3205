"""Which days and sources Koel has rates of, for one currency."""

from datetime import date

from django.core.cache import cache

from rates.db import read_connection
from rates.reads import rows
from rates.table import MONTH, existing_partitions, month_of, month_start


def currency_coverage(code: str) -> dict:
    """First and last day Koel has a rate involving `code`, and the sources that quote it.

    The first day is found month by month from the oldest partition (each probe is bounded, so
    it plans over one partition); callers cache the answer (rates.http.caching).
    """
    pattern = f'%"{code}":%'
    with read_connection().cursor() as cursor:
        cursor.execute(
            "SELECT source_id, newest FROM rates_latestrates WHERE base_id = %s OR quotes LIKE %s",
            [code, pattern],
        )
        rows = cursor.fetchall()
    if not rows:
        return {"first_date": None, "last_date": None, "sources": []}
    sources = sorted({source for source, _ in rows})
    return {
        "first_date": _first_day(code),
        "last_date": max(newest for _, newest in rows).date(),
        "sources": sources,
    }


def _first_day(code: str) -> date | None:
    months = sorted(filter(None, map(month_of, existing_partitions())))
    with read_connection().cursor() as cursor:
        for month in months:
            start = month_start(month)
            cursor.execute(
                "SELECT min(observed_at) FROM rates_exchangerate WHERE observed_at >= %s "
                "AND observed_at < %s AND (base_id = %s OR target_id = %s)",
                [start, start + MONTH, code, code],
            )
            first = cursor.fetchone()[0]
            if first is not None:
                return first.date()
    return None


# Every code that is a base or a target of some source's latest rates. `json` rather than
# `jsonb`: the keys are all that is needed, and json's parse skips building the binary form.
_CODES_WITH_RATES_SQL = """
SELECT base_id FROM rates_latestrates
UNION
SELECT json_object_keys(quotes::json) FROM rates_latestrates
"""


def codes_with_rates() -> set[str]:
    """The currencies Koel holds any rate of, as base or target (the admin's "has data")."""
    with read_connection().cursor() as cursor:
        cursor.execute(_CODES_WITH_RATES_SQL)
        return {code for (code,) in cursor.fetchall()}


# First days move only when older history is imported: held in the cache, recomputed when a
# source quotes a currency the held answer does not know.
_FIRST_DAYS_KEY = "reads:coverage:first-days"
_FIRST_DAYS_SECONDS = 3600


def coverage_by_currency() -> dict[str, tuple[date, date, list[str]]]:
    """{code: (first day, last day, sources)} of every currency some source publishes rates of:
    two reads (the latest rows, and one cached aggregate of first days), whatever the number of
    currencies — where currency_coverage probes one currency's partitions."""
    last = rows.last_days()
    first = cache.get(_FIRST_DAYS_KEY)
    if first is None or not set(last) <= set(first):
        first = rows.first_days()
        cache.set(_FIRST_DAYS_KEY, first, timeout=_FIRST_DAYS_SECONDS)
    merged: dict[str, tuple[date, date, list[str]]] = {}
    for (source, code), day in sorted(last.items()):
        if (source, code) not in first:
            continue
        low, high, sources = merged.get(code, (first[source, code], day, []))
        merged[code] = (min(low, first[source, code]), max(high, day), [*sources, source])
    return merged
