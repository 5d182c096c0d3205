"""Checks of a rule's input that need rates: the pair must be one Koel can quote now."""

from rates.exceptions import InvalidQuery, RateNotFound, UnknownCurrency
from rates.reads import known_codes, rate_for


def pair_errors(base: str, target: str) -> dict[str, str]:
    """{field: message} of what is wrong with the pair base→target; empty when Koel quotes it
    (directly, inverted or crossed through a pivot)."""
    try:
        rate_for(base, target)
    except UnknownCurrency as exc:
        return {"base" if exc.code == base else "target": str(exc)}
    except InvalidQuery as exc:
        return {exc.field: str(exc)}
    except RateNotFound:
        return {"target": f"Koel has no rate for {base}/{target}, direct, inverse or cross."}
    return {}


def currencies_error(codes: list[str]) -> str:
    """What is wrong with a data subscription's currency codes (upper-cased); empty if none."""
    if not codes:
        return "Name at least one currency."
    unknown = sorted(set(codes) - known_codes(codes))
    return f"Unknown currency code: {', '.join(unknown)}" if unknown else ""
