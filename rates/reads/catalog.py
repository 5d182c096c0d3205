"""What Koel knows about currencies and sources: codes, names, minor units, groups, pivots.

`known_codes` is the one "which of these codes exist" check; every reader checks codes with it
(or `require_known`). Codes, names, minor units, groups and source priorities are read from the
database once per catalog (`catalog`) and kept in this process until a currency or source changes
(rates.cache.catalog_token): a read then costs no catalog query.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings

from rates.cache import catalog_token
from rates.exceptions import UnknownCurrency, UnknownSource
from rates.models import Currency, Source


@dataclass(frozen=True, slots=True)
class Catalog:
    """The catalog as one process holds it (treat it as read-only: it is shared)."""

    token: str  # rates.cache.catalog_token when it was read
    active: tuple[str, ...]  # active codes, in code order
    names: dict[str, tuple[str, bool]]  # every code, in code order: (name, active)
    digits: dict[str, tuple[int, int]]  # every code: (decimal digits, rounding increment)
    groups: dict[str, str]  # every code: its group, which sets a blend's refresh window
    priorities: dict[str, int]  # every source: its priority (lower wins ties)


_held: Catalog | None = None


def catalog() -> Catalog:
    """The current catalog: the one held, unless a currency or source changed since."""
    global _held
    token = catalog_token()
    held = _held
    if held is None or held.token != token:
        held = _held = _read(token)
    return held


def _read(token: str) -> Catalog:
    rows = Currency.objects.order_by("code").values_list(
        "code", "name", "active", "decimal_digits", "rounding", "group"
    )
    names, digits, groups = {}, {}, {}
    for code, name, active, decimal_digits, rounding, group in rows:
        names[code] = (name, active)
        digits[code] = (decimal_digits, rounding)
        groups[code] = group
    return Catalog(
        token=token,
        active=tuple(code for code, (_, active) in names.items() if active),
        names=names,
        digits=digits,
        groups=groups,
        priorities=dict(Source.objects.values_list("code", "priority")),
    )


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
    return list(catalog().active)


def known_codes(codes: Iterable[str]) -> set[str]:
    """Those of `codes` Koel knows (active or not)."""
    names = catalog().names
    return {code for code in codes if code in names}


def require_known(codes: Iterable[str]) -> None:
    """Raise UnknownCurrency for the first (in code order) of `codes` Koel does not know."""
    codes = set(codes)
    for code in sorted(codes - known_codes(codes)):
        raise UnknownCurrency(code)


def require_source(code: str | None) -> None:
    """Raise UnknownSource when `code` (None: no source asked for) names no source: asking for
    one Koel does not have is a mistake in the question, not a rate that is missing."""
    if code is not None and code not in catalog().priorities:
        raise UnknownSource(code)


def currency_names(*, include_inactive: bool = False) -> dict[str, str]:
    """{code: name}, in code order."""
    names = catalog().names
    return {code: name for code, (name, active) in names.items() if active or include_inactive}


def currency_digits(codes: Iterable[str]) -> dict[str, tuple[int, int]]:
    """{code: (decimal digits, rounding increment)}: how amounts in each currency are rounded."""
    digits = catalog().digits
    return {code: digits[code] for code in set(codes) if code in digits}


def source_list() -> list[Source]:
    """Every source, best priority first."""
    return list(Source.objects.all())
