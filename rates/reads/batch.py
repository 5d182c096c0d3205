"""The rates of many bases at once (alerts evaluate thousands of pairs after each ingest): the
same answers as rates_for_base gives each base, in a constant number of queries whatever the
number of bases: on rates_latestrates for the latest, on the partitioned table for any number
of instants, each time one for the pairs both ways and one more only when some pair needs a
cross rate (its legs through the pivots). Only the pairs asked are decoded, not every quote of
the bases met."""

from collections.abc import Mapping, Sequence
from datetime import datetime

from rates.reads.catalog import require_known
from rates.reads.checks import require_aware
from rates.reads.instant import answers_at_instants
from rates.reads.latest import latest_answers_many
from rates.types import RateAnswer

Wanted = Mapping[str, Sequence[str]]  # {base: targets}
Answers = dict[str, dict[str, RateAnswer]]  # {base: {target: answer}}


def rates_for_bases(bases_targets: Wanted, *, at: datetime | None = None) -> Answers:
    """{base: {target: RateAnswer}}: of each base, what rates_for_base(base, targets=...,
    at=at) answers (targets nothing answers are absent), in at most two queries. Raises
    InvalidQuery (a naive `at`) and UnknownCurrency for a code Koel does not know."""
    if at is not None:
        return rates_for_bases_at({at: bases_targets})[at]
    wanted = _wanted(bases_targets)
    found = latest_answers_many(wanted)
    _require_known_missing(wanted, found)
    return found


def rates_for_bases_at(instants: Mapping[datetime, Wanted]) -> dict[datetime, Answers]:
    """{at: {base: {target: RateAnswer}}}: for each instant, what rates_for_base(base,
    targets=..., at=at) answers of each of its bases, in at most two queries whatever the
    instants."""
    for at in instants:
        require_aware(at, "at")
    wanted = {at: _wanted(bases_targets) for at, bases_targets in instants.items()}
    found = answers_at_instants(wanted)
    for at, answers in found.items():
        _require_known_missing(wanted[at], answers)
    return found


def _wanted(bases_targets: Wanted) -> dict[str, list[str]]:
    """Each base's distinct targets, in order, the base itself left out (as rates_for_base)."""
    return {
        base: [t for t in dict.fromkeys(targets) if t != base]
        for base, targets in bases_targets.items()
    }


def _require_known_missing(wanted: dict[str, list[str]], found: Answers) -> None:
    """Codes are checked only when something is missing: a stored rate names known currencies."""
    missing = set()
    for base, targets in wanted.items():
        answered = found.get(base, {})
        if len(answered) < len(targets) or not answered:
            missing.update([base, *(t for t in targets if t not in answered)])
    if missing:
        require_known(missing)
