"""What Koel knows about currencies and sources: codes, names, minor units, groups, pivots.

`known_codes` is the one "which of these codes exist" query; every reader checks codes with it
(or `require_known`), and malformed values never reach the database.
"""

import re
from collections.abc import Iterable

from django.conf import settings
from django.db import connection

from rates.exceptions import UnknownCurrency
from rates.models import Currency, Source

_CODE = re.compile(r"[A-Z]{3}")


def pivots() -> list[str]:
    return list(settings.KOEL_PIVOT_CURRENCIES)


def currency_list(*, active: bool | None = None, group: str | None = None) -> list[Currency]:
    currencies = Currency.objects.all()
    if active is not None:
        currencies = currencies.filter(active=active)
    if group is not None:
        currencies = currencies.filter(group=group)
    return list(currencies)


def active_codes() -> list[str]:
    """Every active currency's code, in code order."""
    return list(
        Currency.objects.filter(active=True).order_by("code").values_list("code", flat=True)
    )


def known_codes(codes: Iterable[str]) -> set[str]:
    """Those of `codes` Koel knows (active or not). Malformed values never reach the database."""
    wellformed = sorted({code for code in codes if code.isascii() and _CODE.fullmatch(code)})
    if not wellformed:
        return set()
    # One array parameter, not an IN list the ORM compiles per code (a base checks ~150).
    with connection.cursor() as cursor:
        cursor.execute("SELECT code FROM rates_currency WHERE code = ANY(%s)", [wellformed])
        return {code for (code,) in cursor.fetchall()}


def require_known(codes: Iterable[str]) -> None:
    """Raise UnknownCurrency for the first (in code order) of `codes` Koel does not know."""
    codes = set(codes)
    for code in sorted(codes - known_codes(codes)):
        raise UnknownCurrency(code)


def currency_names(*, include_inactive: bool = False) -> dict[str, str]:
    currencies = Currency.objects.order_by("code")
    if not include_inactive:
        currencies = currencies.filter(active=True)
    return dict(currencies.values_list("code", "name"))


def currency_digits(codes: Iterable[str]) -> dict[str, tuple[int, int]]:
    """{code: (decimal digits, rounding increment)}: how amounts in each currency are rounded."""
    rows = Currency.objects.filter(code__in=set(codes)).values_list(
        "code", "decimal_digits", "rounding"
    )
    return {code: (digits, rounding) for code, digits, rounding in rows}


def source_list() -> list[Source]:
    """Every source, best priority first."""
    return list(Source.objects.all())
