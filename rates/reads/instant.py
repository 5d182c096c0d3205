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
from rates.reads.resolution import answer_pair, first_bases, observed_leg, remembered
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
    """{at: {base: {target: RateAnswer}}} for many instants and bases at once, in one query:
    the observations in force of every pair an answer may use (direct, inverse, the legs to and
    from the pivots), from which each answer is the one `answers_at` gives."""
    via = pivots()
    pairs = set()
    for wanted in wanted_at.values():
        for base, targets in wanted.items():
            for target in targets:
                pairs.update(_legs(base, target, via))
    instants = list(wanted_at)
    observed = observations_at_instants(pairs=pairs, ats=instants)
    found = {}
    for at, observations in zip(instants, observed, strict=True):
        leg = remembered(partial(observed_leg, observations))
        found[at] = {
            base: _answered(leg, base, targets, via) for base, targets in wanted_at[at].items()
        }
    return found


def _answered(leg, base: str, targets: Sequence[str], via) -> dict[str, RateAnswer]:
    answers = {}
    for target in targets:
        answer = answer_pair(leg, base, target, via)
        if answer is not None:
            answers[target] = answer
    return answers


def _legs(base: str, target: str, via: Sequence[str]) -> list[tuple[str, str]]:
    """The pairs whose observations can answer base→target: itself, its opposite, and both
    directions of each leg through a pivot."""
    legs = [(base, target), (target, base)]
    for pivot in via:
        legs += [(base, pivot), (pivot, base), (pivot, target), (target, pivot)]
    return legs
