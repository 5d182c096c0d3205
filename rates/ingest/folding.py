"""Retention of sub-daily ticks: an hour of one source's ticks of a pair, once older than the
cut-off, is folded into an hourly bar (rates.models.HourlyBar: open = the hour's first tick,
high, low, close = its last, and how many ticks) and only its close stays in the rate table.

So history keeps its shape (one observation per hour where there were dozens) and the table
stops growing with every 30-second tick. Only hours with two or more rows of the same source
and pair are folded: a daily source's row, or a daily run's derived row, is alone in its hour
and never touched; neither is any source not named. Running it again folds nothing new (each
folded hour holds one row), so it is idempotent.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import connection, transaction

from rates.reads import require_aware

# The hours to fold, their bar, and which rows go: all of the hour's rows but its close. The
# ticks' bounds on observed_at are values, so partitions newer than the cut-off are pruned.
_FOLD_SQL = """
WITH ticks AS (
    SELECT base_id, target_id, source_id, observed_at, rate, derived,
           date_trunc('hour', observed_at, 'UTC') AS hour
    FROM rates_exchangerate
    WHERE observed_at >= %(since)s AND observed_at < %(before)s
      AND source_id = ANY(%(sources)s::text[])
), hours AS (
    SELECT base_id, target_id, source_id, hour, count(*) AS ticks,
           (array_agg(rate ORDER BY observed_at))[1] AS open,
           max(rate) AS high, min(rate) AS low,
           (array_agg(rate ORDER BY observed_at DESC))[1] AS close,
           min(observed_at) AS first_at, max(observed_at) AS last_at, bool_or(derived) AS derived
    FROM ticks GROUP BY base_id, target_id, source_id, hour HAVING count(*) > 1
), bars AS (
    INSERT INTO rates_hourlybar AS b
        (base_id, target_id, source_id, hour, open, high, low, close, ticks, first_at, last_at,
         derived)
    SELECT base_id, target_id, source_id, hour, open, high, low, close, ticks, first_at, last_at,
           derived
    FROM hours
    ON CONFLICT (base_id, target_id, source_id, hour) DO UPDATE SET
        open = CASE WHEN EXCLUDED.first_at < b.first_at THEN EXCLUDED.open ELSE b.open END,
        first_at = LEAST(b.first_at, EXCLUDED.first_at),
        close = CASE WHEN EXCLUDED.last_at >= b.last_at THEN EXCLUDED.close ELSE b.close END,
        last_at = GREATEST(b.last_at, EXCLUDED.last_at),
        high = GREATEST(b.high, EXCLUDED.high), low = LEAST(b.low, EXCLUDED.low),
        ticks = b.ticks + EXCLUDED.ticks - 1
    RETURNING 1
), removed AS (
    DELETE FROM rates_exchangerate r USING hours h
    WHERE r.observed_at >= %(since)s AND r.observed_at < %(before)s
      AND r.base_id = h.base_id AND r.target_id = h.target_id AND r.source_id = h.source_id
      AND r.observed_at >= h.first_at AND r.observed_at < h.last_at
    RETURNING 1
)
SELECT (SELECT count(*) FROM bars), (SELECT count(*) FROM removed)
"""


@dataclass(frozen=True)
class FoldResult:
    hours: int  # hourly bars written
    removed: int  # tick rows removed from the rate table


def ticks_fold(*, before: datetime, since: datetime, sources: Sequence[str]) -> FoldResult:
    """Fold the ticks of `sources` observed in [since, before) into hourly bars (module doc).
    `before` should be on the hour, so no hour is folded in two halves."""
    require_aware(before, "before")
    require_aware(since, "since")
    if not sources or since >= before:
        return FoldResult(0, 0)
    params = {"before": before, "since": since, "sources": sorted(set(sources))}
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_FOLD_SQL, params)
        hours, removed = cursor.fetchone()
    return FoldResult(hours=hours, removed=removed)
