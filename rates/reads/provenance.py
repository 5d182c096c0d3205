"""Which sources the points of a history come from."""

from datetime import datetime

from rates.db import fast_cursor
from rates.reads.checks import require_aware
from rates.types import History, RatePath

# Each stored pair read on its own (base, target, time) index range, as history reads it.
_SOURCES_SQL = """
SELECT s.source_id, sum(s.n)::int
FROM unnest(%(bases)s::text[], %(targets)s::text[]) AS p(base, target)
CROSS JOIN LATERAL (
  SELECT source_id, count(*) AS n FROM rates_exchangerate
  WHERE base_id = p.base AND target_id = p.target
    AND observed_at >= %(start)s AND observed_at < %(end)s
  GROUP BY source_id
) s
GROUP BY 1 ORDER BY 2 DESC, 1
"""


def history_sources(found: History, start: datetime, end: datetime) -> dict[str, int]:
    """{source: observations} behind `found` (rates.reads.history's answer over [start, end)):
    the stored pair its path read (direct or inverse), or both legs through its pivot. One
    query, most observations first."""
    require_aware(start, "start")
    require_aware(end, "end")
    base, target = found.base, found.target
    if found.path == RatePath.CROSS:
        pairs = [(base, found.via), (found.via, base), (found.via, target), (target, found.via)]
    else:
        pairs = [(base, target), (target, base)]
    params = {
        "bases": [b for b, _ in pairs],
        "targets": [t for _, t in pairs],
        "start": start,
        "end": end,
    }
    with fast_cursor() as cursor:
        cursor.execute(_SOURCES_SQL, params)
        return dict(cursor.fetchall())
