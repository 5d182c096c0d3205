"""The rates table's data: the latest rate of one base against every active currency, with its
change over a day and a week, from rates.reads.rates_for_base three times (latest, and at the
two instants before), so a few queries whatever the number of targets."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from rates.reads import invert, rates_for_base
from rates.reads.resolution import DERIVED
from rates.types import RateAnswer

DAY, WEEK = timedelta(days=1), timedelta(days=7)


@dataclass(frozen=True, slots=True)
class RateRow:
    target: str
    answer: RateAnswer
    inverse: Decimal
    change_day: Decimal | None  # percent, None without a rate a day before
    change_week: Decimal | None


@dataclass(frozen=True, slots=True)
class RatesTable:
    base: str
    rows: list[RateRow]
    newest: datetime | None  # the newest observation among the rows: changes count back from it


def rates_table(base: str) -> RatesTable:
    """Every active currency `base` has a latest rate to, in code order. The 24 h and 7 d changes
    compare it with the rate in force a day and a week before the newest of these observations
    (not before now: a stopped install still shows how its last days moved)."""
    latest = rates_for_base(base)
    if not latest:
        return RatesTable(base, [], None)
    newest = max(answer.observed_at for answer in latest.values())
    targets = list(latest)
    before_day = rates_for_base(base, targets=targets, at=newest - DAY)
    before_week = rates_for_base(base, targets=targets, at=newest - WEEK)
    rows = [
        RateRow(
            target=target,
            answer=answer,
            inverse=invert(answer.rate),
            change_day=_change(answer, before_day.get(target)),
            change_week=_change(answer, before_week.get(target)),
        )
        for target, answer in latest.items()
    ]
    return RatesTable(base, rows, newest)


def _change(now: RateAnswer, then: RateAnswer | None) -> Decimal | None:
    if then is None or then.observed_at >= now.observed_at:
        return None
    return DERIVED.multiply(DERIVED.divide(now.rate - then.rate, then.rate), 100)
