"""Writes. Every rate enters Koel through `rates_upsert`."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.db import transaction

from rates.cache import bump_on_commit
from rates.exceptions import InvalidRateBatch, RowError, UnknownSource
from rates.ingest.bulk import (
    Batch,
    LatestFold,
    any_stored,
    copy_or_merge,
    lock_source,
    merge,
    risky_rows,
    stored_latest,
)
from rates.ingest.partitions import partitions_ensure
from rates.models import Currency, Source
from rates.table import months_between
from rates.types import RateRow

# A source may date its rates by its own calendar day, ahead of UTC; more than this is an error.
MAX_FUTURE_SKEW = timedelta(days=2)


@dataclass(frozen=True)
class UpsertResult:
    received: int  # rows passed in (duplicates included)
    written: int  # rows inserted or changed; unchanged rows are not counted
    first: datetime | None
    last: datetime | None


def rates_upsert(*, source: str, rows: Iterable[RateRow]) -> UpsertResult:
    """Insert or overwrite one source's rates, all or nothing, and update its latest rates.

    Rows are validated first (known currencies, positive finite rate, aware timestamp not in the
    future); any bad row raises InvalidRateBatch and nothing is written. Within a batch the last
    row for a (base, target, observed_at) wins. A batch that cannot collide with stored rows (each
    row newer than anything the source gave for its base, or a sample of keys not found) is
    COPYed straight into the table; otherwise, or if the COPY meets a stored key after all, it
    goes through a staging table and INSERT … ON CONFLICT DO UPDATE (rates.ingest.bulk).
    """
    rows = list(rows)
    rates_validate(source=source, rows=rows)
    if not rows:
        return UpsertResult(received=0, written=0, first=None, last=None)
    batch = Batch(source, rows)
    with transaction.atomic():
        partitions_ensure(months_between(batch.first, batch.last))
        lock_source(source)
        stored = stored_latest(source, batch.newest_per_pair)
        risky = risky_rows(batch, stored)
        collides = bool(risky) and any_stored(source, risky)
        latest = LatestFold(batch, stored)
        written = merge(batch, latest) if collides else copy_or_merge(batch, latest)
        latest.write()
        bump_on_commit(batch.newest_per_pair)
    return UpsertResult(received=len(rows), written=written, first=batch.first, last=batch.last)


def rates_validate(*, source: str, rows: list[RateRow]) -> None:
    """Check every row; raise InvalidRateBatch listing every bad one."""
    if not Source.objects.filter(code=source).exists():
        raise UnknownSource(source)
    codes = set(Currency.objects.values_list("code", flat=True))
    latest_allowed = datetime.now(UTC) + MAX_FUTURE_SKEW
    errors: list[RowError] = []
    for index, row in enumerate(rows):
        problem = _row_problem(row, codes, latest_allowed)
        if problem:
            errors.append(RowError(index, *problem))
    if errors:
        raise InvalidRateBatch(errors)


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
