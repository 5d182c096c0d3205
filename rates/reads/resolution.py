"""Turn stored observations into an answer for any pair: direct, inverse, or cross via a pivot.

Pure functions; rates.reads.latest and rates.reads.instant decide what a leg (one pair, direct
or inverse) is answered from, `answer_pair` how legs make the answer.
"""

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import timedelta
from decimal import Context, Decimal
from functools import partial

from rates.types import Observation, RateAnswer, RatePath

# Derived rates (inverses, crosses) carry 18 significant digits: far beyond any source's own
# precision, and short enough to print.
DERIVED = Context(prec=18)
ONE = Decimal(1)

Observations = Mapping[tuple[str, str], Observation]
Leg = Callable[[str, str], RateAnswer | None]

# Up to this many targets, their own rows (inverse quotes, legs to the pivots) are read in the
# same query as the base's: one query answers a pair, whatever path answers it.
FEW_TARGETS = 8


def first_bases(hubs: Sequence[str], wanted: Sequence[str]) -> list[str]:
    """The bases to read first: the hubs (the base, the pivots) and, for a few targets, those."""
    few = wanted if len(wanted) <= FEW_TARGETS else ()
    return list(dict.fromkeys([*hubs, *few]))


def both_ways(pairs: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
    """Each pair and its opposite: what its direct and inverse legs are read from."""
    return {way for base, target in pairs for way in ((base, target), (target, base))}


def pivot_legs(pairs: Iterable[tuple[str, str]], pivots: Sequence[str]) -> set[tuple[str, str]]:
    """Both directions of each leg through a pivot of each pair: what its cross rates need."""
    return {
        way
        for base, target in pairs
        for pivot in pivots
        if pivot not in (base, target)
        for way in both_ways([(base, pivot), (pivot, target)])
    }


def remembered(leg: Leg) -> Leg:
    """`leg`, computed once per pair: every cross rate of a base reuses its base→pivot leg."""
    memo: dict[tuple[str, str], RateAnswer | None] = {}

    def recall(base: str, target: str) -> RateAnswer | None:
        pair = (base, target)
        found = memo.get(pair, memo)  # the memo itself: "not computed yet" (None is an answer)
        if found is memo:
            found = memo[pair] = leg(base, target)
        return found

    return recall


def invert(rate: Decimal) -> Decimal:
    return DERIVED.divide(ONE, rate)


def answer_pair(
    leg: Leg, base: str, target: str, pivots: Sequence[str], *, cross: Callable | None = None
) -> RateAnswer | None:
    """`leg(base, target)` (direct, else inverse); else, for the first pivot in order whose two
    legs are answered, base→pivot × pivot→target (made by `cross`, default `crossed`)."""
    found = leg(base, target)
    if found is not None:
        return found
    for pivot in pivots:
        if pivot in (base, target):
            continue
        first = leg(base, pivot)
        second = leg(pivot, target) if first is not None else None
        if second is not None:
            return (cross or crossed)(first, second, pivot)
    return None


def crossed(
    first: RateAnswer, second: RateAnswer, via: str, refresh_window: timedelta | None = None
) -> RateAnswer:
    return RateAnswer(
        base=first.base,
        target=second.target,
        rate=DERIVED.multiply(first.rate, second.rate),
        observed_at=min(first.observed_at, second.observed_at),
        sources=tuple(dict.fromkeys(first.sources + second.sources)),
        path=RatePath.CROSS,
        via=via,
        derived=True,
        refresh_window=refresh_window,
    )


def observed_leg(observations: Observations, base: str, target: str) -> RateAnswer | None:
    """base→target from one observation per pair: the direct one, else the inverse of the
    opposite one."""
    direct = observations.get((base, target))
    if direct is not None:
        return RateAnswer(
            base,
            target,
            direct.rate,
            direct.observed_at,
            (direct.source,),
            RatePath.DIRECT,
            None,
            direct.derived,
        )
    opposite = observations.get((target, base))
    if opposite is None:
        return None
    return RateAnswer(
        base,
        target,
        invert(opposite.rate),
        opposite.observed_at,
        (opposite.source,),
        RatePath.INVERSE,
        None,
        True,
    )


def resolve(
    observations: Observations, base: str, target: str, pivots: Sequence[str]
) -> RateAnswer | None:
    """The answer for base→target from one observation per pair (e.g. `latest_observations`),
    or None: what the write side checks new rates against and derives cross rates from."""
    return answer_pair(partial(observed_leg, observations), base, target, pivots)
