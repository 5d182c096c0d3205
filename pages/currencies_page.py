"""The currencies page's data: every currency Koel knows with the days and sources it has rates
from (rates.reads.coverage_by_currency: two reads for all of them), grouped as the schedules are:
primary, secondary, and other (inactive: history kept, no longer scraped)."""

from dataclasses import dataclass
from datetime import date

from rates.reads import coverage_by_currency, currency_list

GROUPS = (("primary", "Primary"), ("secondary", "Secondary"), ("other", "Other (inactive)"))


@dataclass(frozen=True, slots=True)
class Covered:
    currency: object  # a rates.models.Currency, read through rates.reads.currency_list
    first: date | None
    last: date | None
    sources: list[str]


@dataclass(frozen=True, slots=True)
class Group:
    key: str
    title: str
    currencies: list[Covered]

    @property
    def with_data(self) -> int:
        return sum(1 for c in self.currencies if c.last is not None)


def currency_groups() -> list[Group]:
    coverage = coverage_by_currency()
    members: dict[str, list[Covered]] = {key: [] for key, _ in GROUPS}
    for currency in currency_list():
        first, last, sources = coverage.get(currency.code, (None, None, []))
        key = currency.group if currency.active else "other"
        members[key].append(Covered(currency, first, last, sources))
    return [Group(key, title, members[key]) for key, title in GROUPS]
