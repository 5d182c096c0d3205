"""Currency metadata from well-kept data: the ISO 4217 list (pycountry) and CLDR (babel).

Nothing here is typed by hand except the product's choice of "primary" currencies.

Which codes are *active*: in ISO 4217's current list or legal tender somewhere today per CLDR, and
not one CLDR marks as a non-tender instrument (bond-market funds such as BOV or USN, units of
account such as XDR, precious metals, the test codes XTS and XXX). Currencies that were legal
tender once (DEM, CYP, HRK…) and those instruments are loaded too, inactive, so historical data
such as the ECB's 1999 rates and sources quoting gold still have a currency to point at.
"""

from dataclasses import dataclass
from functools import cache

import pycountry
from babel import Locale, UnknownLocaleError
from babel.core import get_global
from babel.languages import get_official_languages
from babel.numbers import get_currency_name, get_currency_symbol

# The product's choice: the most traded currencies, refreshed most often.
PRIMARY_CODES = frozenset(
    "USD EUR JPY GBP CNY AUD CAD CHF HKD SGD SEK KRW NOK NZD INR".split()  # noqa: SIM905
)

# ISO 4217's precious metals, priced per troy ounce. CLDR lists them as no one's tender, so they
# load inactive; an admin may turn them on (Currencies admin, "precious metals" filter).
PRECIOUS_METALS = frozenset({"XAU", "XAG", "XPT", "XPD"})
# ISO 4217 gives the metals no minor unit and CLDR falls back to its default of 2 digits; 0.01
# troy ounce of gold is worth tens of dollars, so an amount of a metal keeps 6 digits.
METAL_DIGITS = 6

# Currencies used in many territories (CFA francs, East Caribbean dollar) get a globe.
MULTI_TERRITORY_ICON = "\N{GLOBE WITH MERIDIANS}"
# Units of account and metals (XDR, XAU…) have no territory at all.
NO_TERRITORY_ICON = "\N{COIN}"
# The euro has a regional-indicator flag of its own although "EU" is not a territory in CLDR.
EXTRA_FLAGS = {"EUR": "EU"}


@dataclass(frozen=True)
class CurrencyInfo:
    code: str
    name: str
    name_plural: str
    symbol: str
    symbol_native: str
    decimal_digits: int
    rounding: int
    icon: str
    group: str
    active: bool


@cache
def _territory_usage() -> dict[str, dict]:
    """code -> {"current": territories using it as tender now, "past": ones that did once,
    "instrument": CLDR lists it without tender (funds, metals, units), "ever": was tender}."""
    usage: dict[str, dict] = {}
    for territory, entries in get_global("territory_currencies").items():
        for code, _start, end, tender in entries:
            info = usage.setdefault(
                code, {"current": [], "past": [], "instrument": False, "ever": False}
            )
            info["ever"] |= tender
            if tender:
                info["current" if end is None else "past"].append(territory)
            if not tender and end is None:
                info["instrument"] = True
    return usage


def _is_active(code: str, iso_codes: set[str]) -> bool:
    info = _territory_usage().get(code, {"current": [], "instrument": False})
    if info["current"]:
        return True
    return code in iso_codes and not info["instrument"] and code not in ("XTS", "XXX")


def known_codes() -> list[str]:
    """Every code Koel loads: current ISO 4217 codes plus anything ever legal tender per CLDR."""
    iso = {c.alpha_3 for c in pycountry.currencies}
    ever = {code for code, info in _territory_usage().items() if info["ever"] or info["instrument"]}
    return sorted((iso | ever) - {"XTS", "XXX"})


def currency_infos() -> list[CurrencyInfo]:
    iso = {c.alpha_3 for c in pycountry.currencies}
    return [_info(code, _is_active(code, iso)) for code in known_codes()]


def _info(code: str, active: bool) -> CurrencyInfo:
    digits, rounding, _cash_digits, _cash_rounding = _fractions(code)
    return CurrencyInfo(
        code=code,
        name=get_currency_name(code, locale="en"),
        name_plural=get_currency_name(code, count=2, locale="en"),
        symbol=get_currency_symbol(code, locale="en"),
        symbol_native=_native_symbol(code),
        decimal_digits=digits,
        rounding=rounding,
        icon=_icon(code),
        group="primary" if code in PRIMARY_CODES else "secondary",
        active=active,
    )


def _fractions(code: str) -> tuple[int, int, int, int]:
    if code in PRECIOUS_METALS:
        return METAL_DIGITS, 0, METAL_DIGITS, 0
    fractions = get_global("currency_fractions")
    return fractions.get(code, fractions["DEFAULT"])


def _home_territory(code: str) -> str | None:
    """The one territory a currency belongs to, if it has one (today's, else a former one)."""
    usage = _territory_usage().get(code, {"current": [], "past": []})
    for territories in (usage["current"], usage["past"]):
        if code[:2] in territories:
            return code[:2]
        if territories:
            return territories[0] if len(set(territories)) == 1 else None
    return None


def _native_symbol(code: str) -> str:
    """The symbol as written in the currency's home, e.g. "$" for CAD rather than "CA$"."""
    territory = _home_territory(code)
    languages = get_official_languages(territory) if territory else ()
    for language in languages:
        try:
            locale = Locale.parse(f"{language}_{territory}")
        except (UnknownLocaleError, ValueError):
            continue
        return get_currency_symbol(code, locale=locale)
    return get_currency_symbol(code, locale="en")


def _flag(territory: str) -> str:
    return "".join(chr(0x1F1E6 + ord(letter) - ord("A")) for letter in territory)


def _icon(code: str) -> str:
    if code in EXTRA_FLAGS:
        return _flag(EXTRA_FLAGS[code])
    territory = _home_territory(code)
    if territory and territory.isalpha():
        return _flag(territory)
    usage = _territory_usage().get(code)
    return MULTI_TERRITORY_ICON if usage and usage["current"] else NO_TERRITORY_ICON
