"""The rate of pairs from one base in force at an instant: of each pair the observation in force
then (rates.reads.observations.observations_at), direct, else inverse, else cross via a pivot.

At most two queries on the pruned partitions of the lookback window: the base's and the pivots'
observations, then, only for targets the base has no observation of, those targets' (for a few
targets, a pair, both in one query).
"""

from collections.abc import Mapping, Sequence
from datetime import datetime
from functools import partial

from rates.reads.catalog import pivots
from rates.reads.observations import observations_at, observations_at_instants
from rates.reads.resolution import (
    answer_pair,
    both_ways,
    first_bases,
    observed_leg,
    pivot_legs,
    remembered,
)
from rates.types import RateAnswer


def answers_at(
    *, base: str, wanted: list[str], at: datetime, source: str | None
) -> dict[str, RateAnswer]:
    """{target: RateAnswer} at `at` for the `wanted` targets something answers; `source` pins
    one source (its own observations, no cross rates)."""
    hubs = [base] if source is not None else list(dict.fromkeys([base, *pivots()]))
    read = first_bases(hubs, wanted)
    found = observations_at(bases=read, targets={base, *wanted, *hubs}, at=at, source=source)
    if missing := [t for t in wanted if t not in read and (base, t) not in found]:
        found.update(observations_at(bases=missing, targets=hubs, at=at, source=source))
    leg = remembered(partial(observed_leg, found))
    via = () if source is not None else pivots()
    answers = {}
    for target in wanted:
        answer = answer_pair(leg, base, target, via)
        if answer is not None:
            answers[target] = answer
    return answers


Wanted = Mapping[str, Sequence[str]]  # {base: targets}


def answers_at_instants(
    wanted_at: Mapping[datetime, Wanted],
) -> dict[datetime, dict[str, dict[str, RateAnswer]]]:
    """{at: {base: {target: RateAnswer}}} for many instants and bases at once, in at most two
    queries: the observations in force of every wanted pair both ways, then, only for pairs
    those leave unanswered, of both ways of their legs through the pivots. A cross rate is used
    only without a direct or inverse observation, so each answer is the one `answers_at` gives."""
    via = pivots()
    pairs = {
        at: [(base, target) for base, targets in wanted.items() for target in targets]
        for at, wanted in wanted_at.items()
    }
    read = {at: both_ways(asked) for at, asked in pairs.items()}
    observed = observations_at_instants(read)
    legs = {at: remembered(partial(observed_leg, observed[at])) for at in wanted_at}
    missing = {
        at: pivot_legs([pair for pair in asked if legs[at](*pair) is None], via) - read[at]
        for at, asked in pairs.items()
    }
    if any(missing.values()):
        # Legs not read yet, so none was computed (and remembered) without its observations.
        for at, found in observations_at_instants(missing).items():
            observed[at].update(found)
    return {
        at: {base: _answered(legs[at], base, targets, via) for base, targets in wanted.items()}
        for at, wanted in wanted_at.items()
    }


def _answered(leg, base: str, targets: Sequence[str], via) -> dict[str, RateAnswer]:
    answers = {}
    for target in targets:
        answer = answer_pair(leg, base, target, via)
        if answer is not None:
            answers[target] = answer
    return answers
