"""Reads: latest rates, the rate in force at an instant, conversion.

Every query on the partitioned table carries both bounds on observed_at as timezone-aware values,
so PostgreSQL prunes partitions while planning (an unbounded query plans over and locks all
~340 monthly partitions). "Latest" reads never touch that table: they use LatestRate.
"""

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Context, Decimal, localcontext

from django.conf import settings
from django.db import connection

from .exceptions import InvalidQuery, RateNotFound, UnknownCurrency
from .models import Currency
from .resolution import resolve
from .types import Conversion, Observation, Quote

# Conversions are exact up to this size: amounts below 1E+30 times any rate, to the minor unit.
MAX_AMOUNT_DIGITS = 30
ARITHMETIC = Context(prec=80)

# Among observations of one pair: the newest; at the same instant a quoted rate beats a derived
# one, then the source with the better (lower) priority.
_BEST_FIRST = "ORDER BY r.base_id, r.target_id, r.observed_at DESC, r.derived, s.priority"

_LATEST_SQL = f"""
SELECT DISTINCT ON (r.base_id, r.target_id)
       r.base_id, r.target_id, r.rate, r.observed_at, r.source_id, r.derived
FROM rates_latestrate r JOIN rates_source s ON s.code = r.source_id
WHERE {{where}} {_BEST_FIRST}
"""  # noqa: S608 - {where} is one of the fixed clauses below

_AT_SQL = f"""
SELECT DISTINCT ON (r.base_id, r.target_id)
       r.base_id, r.target_id, r.rate, r.observed_at, r.source_id, r.derived
FROM rates_exchangerate r JOIN rates_source s ON s.code = r.source_id
WHERE r.observed_at > %(since)s AND r.observed_at <= %(at)s AND ({{where}}) {_BEST_FIRST}
"""  # noqa: S608

# Rows that can answer for these codes: pairs among them (pair lookups), or touching them.
# `others` lists the other side's codes so both arms of _TOUCHING lead with base_id, which the
# partitioned table's only index (base, target, observed_at, source) can serve.
_AMONG = "r.base_id = ANY(%(codes)s) AND r.target_id = ANY(%(codes)s)"
_TOUCHING = (
    "r.base_id = ANY(%(codes)s) OR (r.base_id = ANY(%(others)s) AND r.target_id = ANY(%(codes)s))"
)


def pivots() -> list[str]:
    return list(settings.KOEL_PIVOT_CURRENCIES)


def _observations(
    *, where: str, codes: Iterable[str], at: datetime | None, others: Iterable[str] = ()
) -> dict:
    params: dict = {"codes": sorted(set(codes)), "others": sorted(set(others))}
    if at is None:
        sql = _LATEST_SQL.format(where=where)
    else:
        require_aware(at, "at")
        lookback = timedelta(days=settings.KOEL_RATE_LOOKBACK_DAYS)
        sql = _AT_SQL.format(where=where)
        params.update(since=at - lookback, at=at)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {(row[0], row[1]): Observation(*row) for row in cursor.fetchall()}


def rate_get(*, base: str, target: str, at: datetime | None = None) -> Quote:
    """1 base in target: the latest, or the one in force at `at` (the last observation at or
    before it, within KOEL_RATE_LOOKBACK_DAYS). Direct, else inverse, else cross via a pivot."""
    require_pair(base, target)
    codes = {base, target, *pivots()}
    quote = resolve(_observations(where=_AMONG, codes=codes, at=at), base, target, pivots())
    if quote is None:
        require_known([base, target])
        raise RateNotFound(_not_found_message(base, target, at))
    return quote


def rates_for_base(
    *, base: str, targets: Sequence[str] | None = None, at: datetime | None = None
) -> list[Quote]:
    """Rates of one base against `targets` (default: every active currency), latest or at `at`.

    Targets nothing can answer for are left out; the caller compares against what it asked.
    Direct and inverse quotes come from one query; pivot legs are read only for what is missing.
    """
    require_known([base, *(targets or [])])
    wanted = [t for t in (_active_codes() if targets is None else targets) if t != base]
    found = _observations(where=_TOUCHING, codes=[base], others=wanted, at=at)
    quotes = {t: resolve(found, base, t, ()) for t in wanted}
    missing = [t for t, quote in quotes.items() if quote is None]
    if missing:
        legs_of = [base, *missing]
        found.update(_observations(where=_TOUCHING, codes=pivots(), others=legs_of, at=at))
        quotes.update({t: resolve(found, base, t, pivots()) for t in missing})
    return [quote for quote in quotes.values() if quote is not None]


def conversion_get(
    *, base: str, target: str, amount: Decimal, at: datetime | None = None
) -> Conversion:
    """Convert `amount` base into target, rounded per the target currency (see `round_amount`)."""
    if not amount.is_finite() or amount < 0:
        raise InvalidQuery(f"Amount must be a finite number ≥ 0, got {amount}.", field="amount")
    if amount.adjusted() >= MAX_AMOUNT_DIGITS:
        raise InvalidQuery(f"Amount must be below 1E+{MAX_AMOUNT_DIGITS}.", field="amount")
    quote = rate_get(base=base, target=target, at=at)
    currency = Currency.objects.only("decimal_digits", "rounding").get(code=target)
    with localcontext(ARITHMETIC):
        product = amount * quote.rate
    converted = round_amount(product, currency.decimal_digits, currency.rounding)
    return Conversion(quote=quote, amount=amount, converted=converted)


def round_amount(value: Decimal, digits: int, increment: int = 0) -> Decimal:
    """Round to the currency's minor unit, halves away from zero (commercial rounding).

    With a CLDR rounding increment (e.g. 5 with 2 digits: steps of 0.05) the value goes to the
    nearest step, halves away from zero. JPY 0 digits: 1234.5 → 1235; USD 2 digits:
    2.345 → 2.35; KWD 3 digits: 1.0005 → 1.001.
    """
    unit = Decimal(1).scaleb(-digits)
    with localcontext(ARITHMETIC):
        if increment > 1:
            step = unit * increment
            return ((value / step).quantize(Decimal(1), ROUND_HALF_UP) * step).quantize(unit)
        return value.quantize(unit, ROUND_HALF_UP)


def currency_list(*, active: bool | None = None, group: str | None = None) -> list[Currency]:
    currencies = Currency.objects.all()
    if active is not None:
        currencies = currencies.filter(active=active)
    if group is not None:
        currencies = currencies.filter(group=group)
    return list(currencies)


def currency_codes() -> set[str]:
    """Every ISO code Koel knows (active or not)."""
    return set(Currency.objects.values_list("code", flat=True))


def _active_codes() -> list[str]:
    return list(Currency.objects.filter(active=True).values_list("code", flat=True))


def require_pair(base: str, target: str) -> None:
    if base == target:
        raise InvalidQuery(f"Base and target are both {base}.", field="target")


def require_known(codes: Iterable[str]) -> None:
    codes = set(codes)
    known = set(Currency.objects.filter(code__in=codes).values_list("code", flat=True))
    for code in sorted(codes - known):
        raise UnknownCurrency(code)


def require_aware(moment: datetime, field: str) -> None:
    if moment.tzinfo is None:
        # A naive bound cannot be compared at plan time and would scan every partition.
        raise InvalidQuery(f"{field} must carry a time zone.", field=field)


def _not_found_message(base: str, target: str, at: datetime | None) -> str:
    if at is None:
        return f"No rate {base} -> {target}."
    days = settings.KOEL_RATE_LOOKBACK_DAYS
    return f"No rate {base} -> {target} in the {days} days up to {at.isoformat()}."
