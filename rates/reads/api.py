"""The public read functions, over the selectors, blending and history modules."""

import re
from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal

from django.db import connection

from rates.exceptions import InvalidQuery, RateNotFound
from rates.models import Currency, Source
from rates.reads import blending, selectors
from rates.reads import history as _history
from rates.reads.selectors import (
    MAX_AMOUNT_DIGITS,
    currency_coverage,
    currency_list,
    latest_observations,
    pivots,
    require_known,
    round_amount,
)
from rates.types import History, Interval, Quote, RateAnswer, RatePath

__all__ = [
    "MAX_AMOUNT_DIGITS",
    "currency_coverage",
    "currency_list",
    "latest_observations",
    "pivots",
    "require_known",
    "round_amount",
]

_CODE = re.compile(r"[A-Z]{3}")


def rate_for(
    base: str, target: str, *, at: datetime | None = None, source: str | None = None
) -> RateAnswer:
    """THE rate of base→target: latest (at=None) or in force at `at`; see the package rule."""
    selectors.require_pair(base, target)
    found = rates_for_base(base, targets=[target], at=at, source=source)
    if target not in found:
        require_known([base, target])
        raise RateNotFound(selectors._not_found_message(base, target, at))
    return found[target]


def rates_for_base(
    base: str,
    *,
    targets: Sequence[str] | None = None,
    at: datetime | None = None,
    source: str | None = None,
) -> dict[str, RateAnswer]:
    """{target: RateAnswer} for `targets` (None: every active currency); unanswered are absent."""
    require_known([base, *(targets or [])])
    wanted = [t for t in (active_codes() if targets is None else targets) if t != base]
    if at is None:
        found = blending.latest_for_base(base=base, targets=wanted, source=source)
        return {t: _answer(a) for t, a in found.items()}
    quotes = selectors.rates_for_base(base=base, targets=wanted, at=at)
    return {q.target: _answer(q) for q in quotes if source is None or q.sources == (source,)}


def _answer(found: "blending.Blend | Quote") -> RateAnswer:
    if isinstance(found, Quote):
        return RateAnswer(
            found.base,
            found.target,
            found.rate,
            found.observed_at,
            found.sources,
            found.path,
            found.via,
            found.derived,
        )
    direct = any(not q.inverse for q in found.used)
    path = RatePath.DIRECT if direct else RatePath.INVERSE
    return RateAnswer(
        found.base,
        found.target,
        found.rate,
        found.observed_at,
        found.sources,
        path,
        None,
        found.derived,
        found.quotes,
    )


def history(
    base: str,
    target: str,
    *,
    start: datetime,
    end: datetime,
    interval: Interval = Interval.DAY,
    source: str | None = None,
) -> History:
    """Buckets of base→target over [start, end); raises RateNotFound when nothing answers."""
    return _history.rate_history(
        base=base, target=target, start=start, end=end, interval=interval, source=source
    )


def convert(amount: Decimal, answer: RateAnswer) -> Decimal:
    """`amount` base in the answer's target, rounded per the target currency."""
    if not amount.is_finite() or amount < 0:
        raise InvalidQuery(f"Amount must be a finite number ≥ 0, got {amount}.", field="amount")
    if amount.adjusted() >= MAX_AMOUNT_DIGITS:
        raise InvalidQuery(f"Amount must be below 1E+{MAX_AMOUNT_DIGITS}.", field="amount")
    digits, rounding = currency_digits([answer.target])[answer.target]
    with selectors.localcontext(selectors.ARITHMETIC):
        return round_amount(amount * answer.rate, digits, rounding)


def newest_observation(*, bases: Iterable[str] | None = None) -> datetime | None:
    """The newest observation Koel holds (of these bases' rows), or None with no data."""
    sql = "SELECT max(newest) FROM rates_latestrates"
    params: list = []
    if bases is not None:
        sql += " WHERE base_id = ANY(%s)"
        params.append(sorted(set(bases)))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def active_codes() -> list[str]:
    return list(
        Currency.objects.filter(active=True).order_by("code").values_list("code", flat=True)
    )


def known_codes(codes: Iterable[str]) -> set[str]:
    """Those of `codes` Koel knows (active or not). Malformed values never reach the database."""
    wellformed = {code for code in codes if code.isascii() and _CODE.fullmatch(code)}
    if not wellformed:
        return set()
    return set(Currency.objects.filter(code__in=wellformed).values_list("code", flat=True))


def currency_names(*, include_inactive: bool = False) -> dict[str, str]:
    currencies = Currency.objects.order_by("code")
    if not include_inactive:
        currencies = currencies.filter(active=True)
    return dict(currencies.values_list("code", "name"))


def currency_digits(codes: Iterable[str]) -> dict[str, tuple[int, int]]:
    """{code: (decimal_digits, rounding increment)} for these codes."""
    rows = Currency.objects.filter(code__in=list(codes)).values_list(
        "code", "decimal_digits", "rounding"
    )
    return {code: (digits, rounding) for code, digits, rounding in rows}


def source_list() -> list[Source]:
    return list(Source.objects.all())
