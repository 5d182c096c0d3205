"""Whether a scrape of a scope's target would scrape anything, asked before it is queued (the
admin's "scrape now"), so a refusal is an error shown to the admin, not a failed run later."""

from rates.models import Currency, CurrencyGroup, Source
from rates.runs.health import source_availability
from rates.runs.scraping import Scope


class ScrapeRefused(ValueError):
    """The reason, in a sentence an admin can act on."""


def scrape_target_clean(*, scope: Scope | str, target: str) -> str:
    """`target` as the scope's task takes it (a group name, an upper-case code, a source code);
    raises ScrapeRefused when nothing would be scraped."""
    target = target.strip()
    if not target:
        raise ScrapeRefused("Give a group, a currency code or a source.")
    match Scope(scope):
        case Scope.GROUP:
            return _group(target.lower())
        case Scope.BASE:
            return _base(target.upper())
        case Scope.SOURCE:
            return _source(target)


def _group(group: str) -> str:
    if group not in CurrencyGroup.values:
        raise ScrapeRefused(
            f"No currency group {group!r}: choose one of {', '.join(CurrencyGroup.values)}."
        )
    if not Currency.objects.filter(group=group, active=True).exists():
        raise ScrapeRefused(f"The {group} group has no active currency to scrape.")
    return group


def _base(code: str) -> str:
    currency = Currency.objects.filter(code=code).first()
    if currency is None:
        raise ScrapeRefused(f"No currency {code!r}: give an ISO 4217 code such as USD.")
    if not currency.active:
        raise ScrapeRefused(f"{code} is not active: turn it on in Currencies first.")
    return code


def _source(code: str) -> str:
    source = Source.objects.filter(code=code).first()
    if source is None:
        raise ScrapeRefused(f"No source {code!r}.")
    availability = source_availability(source)
    if not availability.usable:
        raise ScrapeRefused(f"Source {code} cannot be scraped now: {availability.reason}.")
    return code
