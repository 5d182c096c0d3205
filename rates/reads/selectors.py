"""Reads: latest rates, the rate in force at an instant, conversion.

Every query on the partitioned table carries both bounds on observed_at as timezone-aware values,
so PostgreSQL prunes partitions while planning (an unbounded query plans over and locks all
~340 monthly partitions). "Latest" reads never touch that table: they use LatestRates.
"""

import json
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Context, Decimal, localcontext

from django.conf import settings
from django.db import connection

from rates.db import fast_cursor
from rates.exceptions import InvalidQuery, RateNotFound, UnknownCurrency
from rates.models import Currency
from rates.reads.resolution import resolve
from rates.table import MONTH, existing_partitions, month_of, month_start
from rates.types import Conversion, Observation, Quote

# Conversions are exact up to this size: amounts below 1E+30 times any rate, to the minor unit.
MAX_AMOUNT_DIGITS = 30
ARITHMETIC = Context(prec=80)

# Among observations of one pair: the newest; at the same instant a quoted rate beats a derived
# one, then the source with the better (lower) priority.
_BEST_FIRST = "ORDER BY 1, 2, 4 DESC, 6, s.priority, 5"

_LATEST_SQL = """
SELECT l.base_id, l.source_id, s.priority, l.quotes
FROM rates_latestrates l JOIN rates_source s ON s.code = l.source_id
WHERE l.base_id = ANY(%(bases)s) ORDER BY l.source_id
"""

# Both bounds on observed_at, so only the partitions of the lookback window are planned.
_AT_SQL = f"""
SELECT DISTINCT ON (r.base_id, r.target_id)
       r.base_id, r.target_id, r.rate, r.observed_at, r.source_id, r.derived
FROM rates_exchangerate r JOIN rates_source s ON s.code = r.source_id
WHERE r.observed_at > %(since)s AND r.observed_at <= %(at)s
  AND r.base_id = ANY(%(bases)s) AND r.target_id = ANY(%(targets)s) {_BEST_FIRST}
"""  # noqa: S608


def pivots() -> list[str]:
    return list(settings.KOEL_PIVOT_CURRENCIES)


def _find(*, bases: Iterable[str], targets: Iterable[str], at: datetime | None) -> dict:
    """The best observation of every stored pair (b, t), b in `bases`, t in `targets`: the
    latest (rates_latestrates), or the one in force at `at` (within the lookback window)."""
    params: dict = {"bases": sorted(set(bases)), "targets": sorted(set(targets))}
    if at is None:
        return _latest(params)
    require_aware(at, "at")
    lookback = timedelta(days=settings.KOEL_RATE_LOOKBACK_DAYS)
    params.update(since=at - lookback, at=at)
    with fast_cursor() as cursor:
        cursor.execute(_AT_SQL, params)
        return {(row[0], row[1]): Observation(*row) for row in cursor.fetchall()}


def latest_observations(*, bases: Iterable[str], targets: Iterable[str]) -> dict:
    """{(base, target): Observation}: the best latest observation of each stored pair."""
    return _find(bases=bases, targets=targets, at=None)


def latest_by_source(
    *, bases: Iterable[str], targets: Iterable[str]
) -> Iterator[tuple[Observation, int]]:
    """Every source's latest observation of each pair (b, t), with the source's priority."""
    params = {"bases": sorted(set(bases))}
    wanted = set(targets)
    with connection.cursor() as cursor:
        cursor.execute(_LATEST_SQL, params)
        rows = cursor.fetchall()
    for base, source, priority, quotes in rows:
        for target, (rate, when, derived) in json.loads(quotes).items():
            if target in wanted:
                observed_at = datetime.fromisoformat(when)
                yield (
                    Observation(base, target, Decimal(rate), observed_at, source, derived),
                    priority,
                )


def _latest(params: dict) -> dict:
    """Best-first (as _BEST_FIRST) among each source's latest quote, from rates_latestrates."""
    ranked: dict[tuple[str, str], tuple] = {}
    for observation, priority in latest_by_source(bases=params["bases"], targets=params["targets"]):
        rank = (observation.observed_at, not observation.derived, -priority)
        pair = (observation.base, observation.target)
        held = ranked.get(pair)
        if held is None or rank > held[0]:
            ranked[pair] = (rank, observation)
    return {pair: observation for pair, (_rank, observation) in ranked.items()}


def rate_get(*, base: str, target: str, at: datetime | None = None) -> Quote:
    """1 base in target: the latest, or the one in force at `at` (the last observation at or
    before it, within KOEL_RATE_LOOKBACK_DAYS). Direct, else inverse, else cross via a pivot."""
    require_pair(base, target)
    codes = {base, target, *pivots()}
    quote = resolve(_find(bases=codes, targets=codes, at=at), base, target, pivots())
    if quote is None:
        require_known([base, target])
        raise RateNotFound(_not_found_message(base, target, at))
    return quote


def rates_for_base(
    *, base: str, targets: Sequence[str] | None = None, at: datetime | None = None
) -> list[Quote]:
    """Rates of one base against `targets` (default: every active currency), latest or at `at`.

    Targets nothing can answer for are left out; the caller compares against what it asked.
    Reads widen only for what is still missing: the base's own quotes (one query when a
    multi-pair source covers the base), then inverse quotes, then both legs through each pivot.
    """
    require_known([base, *(targets or [])])
    wanted = [t for t in (_active_codes() if targets is None else targets) if t != base]
    found = _find(bases=[base], targets=wanted, at=at)
    quotes = {t: resolve(found, base, t, ()) for t in wanted}
    if missing := [t for t, quote in quotes.items() if quote is None]:
        found.update(_find(bases=missing, targets=[base], at=at))
        quotes.update({t: resolve(found, base, t, ()) for t in missing})
    if missing := [t for t, quote in quotes.items() if quote is None]:
        legs = [base, *missing]
        found.update(_find(bases=pivots(), targets=legs, at=at))
        found.update(_find(bases=legs, targets=pivots(), at=at))
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
