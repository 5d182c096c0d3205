"""Writes. Every rate enters Koel through `rates_upsert`."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.db import connection, transaction

from .exceptions import InvalidRateBatch, RowError, UnknownSource
from .models import Currency, Source
from .partitioning import months_between, partitions_ensure
from .types import RateRow

# A source may date its rates by its own calendar day, ahead of UTC; more than this is an error.
MAX_FUTURE_SKEW = timedelta(days=2)

_STAGE_DDL = """
CREATE TEMP TABLE IF NOT EXISTS koel_rate_stage (
    base_id varchar(3) NOT NULL,
    target_id varchar(3) NOT NULL,
    observed_at timestamptz NOT NULL,
    rate numeric NOT NULL,
    derived boolean NOT NULL
)
"""

# Unchanged rows are left alone, so a re-import rewrites nothing and reports 0 written.
_UPSERT_RATES = """
INSERT INTO rates_exchangerate AS r (base_id, target_id, observed_at, source_id, rate, derived)
SELECT base_id, target_id, observed_at, %(source)s, rate, derived FROM koel_rate_stage
ON CONFLICT (base_id, target_id, observed_at, source_id) DO UPDATE
    SET rate = EXCLUDED.rate, derived = EXCLUDED.derived
    WHERE (r.rate, r.derived) IS DISTINCT FROM (EXCLUDED.rate, EXCLUDED.derived)
"""

_UPSERT_LATEST = """
INSERT INTO rates_latestrate AS l (base_id, target_id, source_id, observed_at, rate, derived)
SELECT DISTINCT ON (base_id, target_id) base_id, target_id, %(source)s, observed_at, rate, derived
FROM koel_rate_stage ORDER BY base_id, target_id, observed_at DESC
ON CONFLICT (base_id, target_id, source_id) DO UPDATE
    SET observed_at = EXCLUDED.observed_at, rate = EXCLUDED.rate, derived = EXCLUDED.derived
    WHERE l.observed_at <= EXCLUDED.observed_at
"""


@dataclass(frozen=True)
class UpsertResult:
    received: int  # rows passed in (duplicates included)
    written: int  # rows inserted or changed; unchanged rows are not counted
    first: datetime | None
    last: datetime | None


def rates_upsert(*, source: str, rows: Iterable[RateRow]) -> UpsertResult:
    """Insert or overwrite one source's rates, all or nothing.

    Rows are validated first (known currencies, positive finite rate, aware timestamp not in the
    future); any bad row raises InvalidRateBatch and nothing is written. Within a batch the last
    row for a (base, target, observed_at) wins. Rows are COPYed into a temporary table, then
    merged with one INSERT … ON CONFLICT DO UPDATE: most of COPY's speed with upsert semantics.
    """
    rows = list(rows)
    unique = _validated(source=source, rows=rows)
    if not unique:
        return UpsertResult(received=len(rows), written=0, first=None, last=None)
    first = min(row.observed_at for row in unique)
    last = max(row.observed_at for row in unique)
    with transaction.atomic():
        partitions_ensure(months_between(first, last))
        written = _merge(source=source, rows=unique)
    return UpsertResult(received=len(rows), written=written, first=first, last=last)


def _merge(*, source: str, rows: list[RateRow]) -> int:
    with connection.cursor() as cursor:
        cursor.execute(_STAGE_DDL)
        cursor.execute("TRUNCATE koel_rate_stage")
        columns = "base_id, target_id, observed_at, rate, derived"
        with cursor.copy(f"COPY koel_rate_stage ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row((row.base, row.target, row.observed_at, row.rate, row.derived))
        cursor.execute(_UPSERT_RATES, {"source": source})
        written = cursor.rowcount
        cursor.execute(_UPSERT_LATEST, {"source": source})
        cursor.execute("TRUNCATE koel_rate_stage")
    return written


def _validated(*, source: str, rows: list[RateRow]) -> list[RateRow]:
    """Check every row; return them deduplicated (last wins) or raise InvalidRateBatch."""
    if not Source.objects.filter(code=source).exists():
        raise UnknownSource(source)
    codes = set(Currency.objects.values_list("code", flat=True))
    latest_allowed = datetime.now(UTC) + MAX_FUTURE_SKEW
    errors: list[RowError] = []
    unique: dict[tuple, RateRow] = {}
    for index, row in enumerate(rows):
        problem = _row_problem(row, codes, latest_allowed)
        if problem:
            errors.append(RowError(index, *problem))
        else:
            unique[(row.base, row.target, row.observed_at)] = row
    if errors:
        raise InvalidRateBatch(errors)
    return list(unique.values())


def _row_problem(row: RateRow, codes: set[str], latest_allowed: datetime) -> tuple | None:
    """(field, message) for the first thing wrong with `row`, or None."""
    for field in ("base", "target"):
        if getattr(row, field) not in codes:
            return field, f"unknown currency {getattr(row, field)!r}"
    if row.base == row.target:
        return "target", "equals base"
    rate_problem = _rate_problem(row.rate)
    if rate_problem:
        return "rate", rate_problem
    if not isinstance(row.observed_at, datetime) or row.observed_at.tzinfo is None:
        return "observed_at", "must be a timezone-aware datetime"
    if row.observed_at > latest_allowed:
        return "observed_at", f"{row.observed_at.isoformat()} is in the future"
    return None


def _rate_problem(rate: object) -> str | None:
    if not isinstance(rate, Decimal):
        return f"must be a Decimal, got {type(rate).__name__}"
    try:
        if not rate.is_finite():
            return f"{rate} is not finite"
        if rate <= 0:
            return f"{rate} is not positive"
    except InvalidOperation:  # signalling NaN compares with an error
        return f"{rate} is not a number"
    return None
