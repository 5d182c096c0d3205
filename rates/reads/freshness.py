"""How new and how plentiful the stored rates are: the admin dashboard's reads.

Freshness reads rates_latestrates (one row per base and source, its `newest` the newest
observation that source gave for the base), never the partitioned table. The daily counts read
the partitioned table over the asked days only, both bounds aware, so only those days'
partitions are planned and scanned.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.db import connection

# Per active currency its newest observation from any source, then per group: how many bases,
# how many with any rate, the newest, and the stalest base's newest (none while a base has no
# rate at all: that base is the stalest).
_GROUPS_SQL = """
WITH per_base AS (
    SELECT c.code, c."group", max(l.newest) AS newest
    FROM rates_currency c LEFT JOIN rates_latestrates l ON l.base_id = c.code
    WHERE c.active
    GROUP BY c.code, c."group"
)
SELECT "group", count(*), count(newest), max(newest),
       CASE WHEN count(newest) = count(*) THEN min(newest) END,
       (array_agg(code ORDER BY newest ASC NULLS FIRST))[1]
FROM per_base GROUP BY "group" ORDER BY "group"
"""

_PER_DAY_SQL = """
SELECT (observed_at AT TIME ZONE 'UTC')::date AS day, count(*), count(*) FILTER (WHERE derived)
FROM rates_exchangerate
WHERE observed_at >= %s AND observed_at < %s
GROUP BY day
"""


@dataclass(frozen=True)
class GroupNewest:
    """The active currencies of one group as bases, and how new their rates are."""

    group: str
    bases: int
    bases_with_rates: int
    newest: datetime | None  # the newest observation of any base of the group
    stalest: datetime | None  # the newest observation of the base least recently quoted
    stalest_base: str  # that base (one with no rate at all comes first)


@dataclass(frozen=True)
class DayCount:
    day: date
    rates: int
    derived: int  # of `rates`, those Koel computed (cross and inverse fills)


def group_newest() -> list[GroupNewest]:
    """Per currency group (active currencies only), in group order."""
    with connection.cursor() as cursor:
        cursor.execute(_GROUPS_SQL)
        return [GroupNewest(*row) for row in cursor.fetchall()]


def rates_per_day(*, days: int, today: date | None = None) -> list[DayCount]:
    """Rates stored per UTC day of observation, for the `days` days up to and including
    `today` (default: today in UTC), oldest first, days with none included as zeros."""
    if days < 1:
        raise ValueError(f"days must be at least 1, got {days}")
    today = today or datetime.now(UTC).date()
    first = today - timedelta(days=days - 1)
    start = datetime.combine(first, time.min, tzinfo=UTC)
    end = datetime.combine(today + timedelta(days=1), time.min, tzinfo=UTC)
    with connection.cursor() as cursor:
        cursor.execute(_PER_DAY_SQL, [start, end])
        counted = {day: (total, derived) for day, total, derived in cursor.fetchall()}
    return [
        DayCount(day, *counted.get(day, (0, 0)))
        for day in (first + timedelta(days=offset) for offset in range(days))
    ]
