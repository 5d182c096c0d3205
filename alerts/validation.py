"""Checks of a rule's and a data subscription's input: one place for the model's clean(), which
the admin and the /alerts/ page's ModelForm run, and the REST serializers."""

from typing import TYPE_CHECKING

from rates.exceptions import InvalidQuery, RateNotFound, UnknownCurrency
from rates.reads import known_codes, rate_for

if TYPE_CHECKING:
    from alerts.models import AlertRule


def rule_errors(rule: "AlertRule") -> dict[str, str]:
    """{field: message} of what is wrong with a rule's values (codes already upper-cased): the
    threshold, hysteresis and cooldown, and a pair Koel can quote now."""
    errors = {}
    if rule.threshold is not None and rule.threshold <= 0:
        errors["threshold"] = "The threshold must be greater than 0."
    if rule.hysteresis is not None and rule.hysteresis < 0:
        errors["hysteresis"] = "The hysteresis margin cannot be negative."
    if rule.cooldown is not None and rule.cooldown.total_seconds() < 0:
        errors["cooldown"] = "The cooldown cannot be negative."
    if rule.base and rule.target:
        errors.update(pair_errors(rule.base, rule.target))
    return errors


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
