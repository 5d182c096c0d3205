"""Turn stored observations into an answer for any pair: direct, inverse, or cross via a pivot.

Pure functions over a mapping of the best observation per (base, target); the selectors decide
which observations to load (latest, or in force at an instant).
"""

from collections.abc import Mapping, Sequence
from decimal import Context, Decimal

from rates.types import Observation, Quote, RatePath

# Derived rates (inverses, crosses) carry 18 significant digits: far beyond any source's own
# precision, and short enough to print.
DERIVED = Context(prec=18)
ONE = Decimal(1)

Observations = Mapping[tuple[str, str], Observation]


def invert(rate: Decimal) -> Decimal:
    return DERIVED.divide(ONE, rate)


def resolve(
    observations: Observations, base: str, target: str, pivots: Sequence[str]
) -> Quote | None:
    """The best answer for base→target from `observations`, or None.

    Order: a direct quote; else the inverse of the opposite quote; else, for each pivot in
    order, base→pivot × pivot→target where each leg is itself direct or inverse.
    """
    leg = _leg(observations, base, target)
    if leg is not None:
        return leg
    for pivot in pivots:
        if pivot in (base, target):
            continue
        first, second = _leg(observations, base, pivot), _leg(observations, pivot, target)
        if first is not None and second is not None:
            return Quote(
                base=base,
                target=target,
                rate=DERIVED.multiply(first.rate, second.rate),
                observed_at=min(first.observed_at, second.observed_at),
                path=RatePath.CROSS,
                via=pivot,
                legs=first.legs + second.legs,
            )
    return None


def _leg(observations: Observations, base: str, target: str) -> Quote | None:
    direct = observations.get((base, target))
    if direct is not None:
        return Quote(base, target, direct.rate, direct.observed_at, RatePath.DIRECT, (direct,))
    opposite = observations.get((target, base))
    if opposite is not None:
        return Quote(
            base, target, invert(opposite.rate), opposite.observed_at, RatePath.INVERSE, (opposite,)
        )
    return None
