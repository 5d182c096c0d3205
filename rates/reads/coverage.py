"""Which days and sources Koel has rates of, for one currency."""

from datetime import date

from django.db import connection

from rates.table import MONTH, existing_partitions, month_of, month_start


def currency_coverage(code: str) -> dict:
    """First and last day Koel has a rate involving `code`, and the sources that quote it.

    The first day is found month by month from the oldest partition (each probe is bounded, so
    it plans over one partition); callers cache the answer (rates.http.caching).
    """
    pattern = f'%"{code}":%'
    with connection.cursor() as cursor:
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
    with connection.cursor() as cursor:
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
    with connection.cursor() as cursor:
        cursor.execute(_CODES_WITH_RATES_SQL)
        return {code for (code,) in cursor.fetchall()}
