"""Currency and provider metadata in Frankfurter's shapes.

Frankfurter names currencies with the Ruby money gem (7.0.2: "United States Dollar", "British
Pound") patched with its own historical codes (db/seeds/currency_patches.json); that table is
money_currencies.json beside this file ({code: [name, symbol, iso_numeric]}, MIT-licensed data of
RubyMoney/money and lineofflight/frankfurter). Codes it lacks fall back to Koel's CLDR names and
symbols. Providers are Koel's sources: their key is the source code in capitals.
"""

import json
from datetime import date, timedelta
from functools import cache
from pathlib import Path

import pycountry

from rates.reads import currency_list, source_list

# What Frankfurter's provider seeds say of the same institutions (country, rate type, cadence);
# Koel's Source rows do not carry these, and other sources get nulls rather than guesses.
_OFFICIAL = {
    "ecb": ("EU", "reference rate", "daily"),
    "bank_of_canada": ("CA", "indicative rate", "daily"),
    "norges_bank": ("NO", "middle rate", "daily"),
    "fed_h10": ("US", "H.10", None),
}


@cache
def money_table() -> dict[str, list]:
    with open(Path(__file__).with_name("money_currencies.json"), encoding="utf-8") as file:
        return json.load(file)


def name_of(code: str, koel: dict | None = None) -> str:
    if code in money_table():
        return money_table()[code][0]
    return (koel or {}).get(code, {}).get("name") or code


def currency_row(code: str, first: date | None, last: date | None, koel: dict) -> dict:
    """One currency as v2's /currencies lists it."""
    if code in money_table():
        name, symbol, numeric = money_table()[code]
    else:
        found = pycountry.currencies.get(alpha_3=code)
        name = koel.get(code, {}).get("name") or code
        symbol = koel.get(code, {}).get("symbol") or None
        numeric = found.numeric if found else None
    return {
        "iso_code": code,
        "iso_numeric": numeric,
        "name": name,
        "symbol": symbol,
        "start_date": first.isoformat() if first else None,
        "end_date": last.isoformat() if last else None,
    }


def koel_currencies(codes) -> dict[str, dict]:
    """Koel's name and symbol of each of `codes` (the fallback for codes the money gem lacks)."""
    wanted = set(codes)
    return {
        c.code: {"code": c.code, "name": c.name, "symbol": c.symbol}
        for c in currency_list()
        if c.code in wanted
    }


def provider_key(source_code: str) -> str:
    return source_code.upper()


def by_currency(cover: dict) -> dict[str, tuple[date, date, list[str]]]:
    """{currency: (first day, last day, provider keys)} over every source's coverage."""
    merged: dict[str, tuple[date, date, list[str]]] = {}
    for (source, code), (first, last) in sorted(cover.items()):
        low, high, keys = merged.get(code, (first, last, []))
        merged[code] = (min(low, first), max(high, last), [*keys, provider_key(source)])
    return merged


def provider_rows(cover: dict, today: date) -> list[dict]:
    """v2's /providers: the sources that have published rates, by key."""
    rows = []
    for source in source_list():
        spans = {
            code: span for (code_source, code), span in cover.items() if code_source == source.code
        }
        if not spans:
            continue
        country, rate_type, cadence = _OFFICIAL.get(source.code, (None, None, None))
        last = max(high for _low, high in spans.values())
        rows.append(
            {
                "key": provider_key(source.code),
                "name": source.name,
                "country_code": country,
                "rate_type": rate_type,
                "pivot_currency": source.bases[0] if len(source.bases) == 1 else None,
                "data_url": source.homepage or None,
                "terms_url": None,
                "start_date": min(low for low, _high in spans.values()).isoformat(),
                "end_date": last.isoformat(),
                "publish_cadence": cadence,
                "publishes_missed": _missed(cadence, last, today),
                "currencies": sorted(spans),
            }
        )
    return sorted(rows, key=lambda row: row["key"])


def _missed(cadence: str | None, last: date, today: date) -> int | None:
    """Publishing days (Monday to Friday, as Frankfurter's daily schedules) strictly between
    the last day published and today. Null without a known cadence."""
    if cadence != "daily":
        return None
    days = (last + timedelta(days=n) for n in range(1, max((today - last).days, 0)))
    return sum(1 for day in days if day.weekday() < 5)
