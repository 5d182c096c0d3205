"""What a valid rate is, checked once on the way in.

Every rate enters through `rates_validate`: rates_accept (scraped and derived rates) calls it
before the quarantine, rates_upsert (loaders, imports) before writing. Both then hand the
ValidRows on to rates_write, which trusts them and checks nothing again.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation

from rates.exceptions import InvalidRateBatch, RowError, UnknownSource
from rates.models import Currency, Source
from rates.types import RateRow

# A source may date its rates by its own calendar day, ahead of UTC; more than this is an error.
MAX_FUTURE_SKEW = timedelta(days=2)


@dataclass(frozen=True)
class ValidRows:
    """Rows of one source that passed rates_validate, and the errors of those it set aside."""

    source: str
    rows: tuple[RateRow, ...]
    rejected: tuple[RowError, ...] = ()

    def only(self, rows: Iterable[RateRow]) -> "ValidRows":
        """A subset of these rows (e.g. the ones the quarantine publishes), still valid."""
        return ValidRows(self.source, tuple(rows))


def rates_validate(
    *, source: str, rows: Iterable[RateRow], drop_invalid: bool = False
) -> ValidRows:
    """Check every row of `source`. A bad row raises InvalidRateBatch listing every bad one, or
    with `drop_invalid` is left out and its error kept in `rejected` (a crawl of a site that
    lists a coin Koel does not know still stores the rest). An unknown source always raises."""
    rows = list(rows)
    if not Source.objects.filter(code=source).exists():
        raise UnknownSource(source)
    codes = set(Currency.objects.values_list("code", flat=True))
    latest_allowed = datetime.now(UTC) + MAX_FUTURE_SKEW
    good: list[RateRow] = []
    errors: list[RowError] = []
    for index, row in enumerate(rows):
        problem = _row_problem(row, codes, latest_allowed)
        if problem:
            errors.append(RowError(index, *problem))
        else:
            good.append(row)
    if errors and not drop_invalid:
        raise InvalidRateBatch(errors)
    return ValidRows(source, tuple(good), tuple(errors))


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
