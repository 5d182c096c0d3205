"""How a page writes numbers, money and ages for its reader: CLDR's rules through babel, in the
locale the browser asks for (Accept-Language), English when it asks for nothing babel knows."""

from datetime import timedelta
from decimal import Decimal

from babel import Locale, UnknownLocaleError
from babel.dates import format_timedelta
from babel.numbers import format_decimal, parse_pattern

DEFAULT_LOCALE = Locale("en")
# A header is a short list; a long one is not a reader's but a probe's, and is not parsed.
MAX_HEADER = 256


def negotiate_locale(accept_language: str) -> Locale:
    """The first locale in the Accept-Language header (in q order) that CLDR knows."""
    for tag in _tags_by_quality(accept_language[:MAX_HEADER]):
        try:
            return Locale.parse(tag, sep="-")
        except (UnknownLocaleError, ValueError, TypeError):
            continue
    return DEFAULT_LOCALE


def _tags_by_quality(header: str) -> list[str]:
    weighted = []
    for position, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if tag and tag != "*" and quality > 0:
            weighted.append((-quality, position, tag))
    return [tag for _, _, tag in sorted(weighted)]


def money(value: Decimal, code: str, digits: int, locale: Locale) -> str:
    """`value` (already rounded by rates.reads.convert) with the currency's symbol and the
    locale's grouping, showing exactly Koel's minor digits for the currency: CLDR's pattern
    alone would apply its own digits, which an admin may have changed in Koel."""
    pattern = parse_pattern(locale.currency_formats["standard"])
    pattern.frac_prec = (digits, digits)
    return pattern.apply(value, locale, currency=code, currency_digits=False)


def rate(value: Decimal, locale: Locale) -> str:
    """A rate with the locale's separators and every significant digit Koel holds."""
    return format_decimal(value.normalize(), format="#,##0.############", locale=locale)


def age(delta: timedelta, locale: Locale) -> str:
    """ "3 hours ago": how old an observation is (never "in …": clocks skew by seconds)."""
    return format_timedelta(-max(delta, timedelta(0)), locale=locale, add_direction=True)
