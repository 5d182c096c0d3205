"""The converter's answer as the page shows it: one rate from rates.reads (`rate_for`, the same
call the API makes), the amount converted by `convert`, everything written for the reader."""

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from babel import Locale
from django.conf import settings
from django.utils import timezone

from pages import formatting
from pages.pickers import Option
from pages.sparkline import Sparkline, sparkline_get
from rates.reads import convert, invert, rate_for
from rates.types import RateAnswer, RatePath

PATHS = {
    RatePath.DIRECT: "direct: a source quotes this pair",
    RatePath.INVERSE: "inverse: a source quotes the opposite pair",
    RatePath.CROSS: "cross rate",
}


@dataclass(frozen=True, slots=True)
class Conversion:
    amount: Decimal
    converted: Decimal
    answer: RateAnswer
    requested_date: date | None
    text: dict[str, str]  # each figure as the reader's locale writes it
    sparkline: Sparkline | None

    @property
    def rate_date(self) -> date:
        return self.answer.observed_at.astimezone(UTC).date()

    @property
    def dates_differ(self) -> bool:
        """A weekend or holiday: the rate shown is an earlier day's."""
        return self.requested_date is not None and self.requested_date != self.rate_date


def conversion_get(
    *, amount: Decimal, base: str, target: str, at: datetime | None, day: date | None,
    options: dict[str, Option], locale: Locale,
) -> Conversion:  # fmt: skip
    """Raises RateNotFound (and the other KoelErrors of `rate_for`)."""
    answer = rate_for(base, target, at=at)
    converted = convert(amount, answer)
    text = _texts(amount, converted, answer, options, locale)
    # The 30 days up to the rate's own date: a historical conversion shows its own month.
    spark = sparkline_get(base, target, until=answer.observed_at.astimezone(UTC).date())
    return Conversion(amount, converted, answer, day, text, spark)


def _texts(amount, converted, answer, options, locale) -> dict[str, str]:
    base, target = options[answer.base], options[answer.target]
    path = PATHS[answer.path]
    if answer.via:
        path = f"{path} via {answer.via}"
    return {
        "amount": formatting.money(amount, base.code, _shown_digits(amount, base), locale),
        "converted": formatting.money(converted, target.code, target.digits, locale),
        "rate": formatting.rate(answer.rate, locale),
        "inverse": formatting.rate(invert(answer.rate), locale),
        "path": path,
        "age": formatting.age(timezone.now() - answer.observed_at, locale),
    }


def _shown_digits(amount: Decimal, currency: Option) -> int:
    # The currency's minor digits ($1,234.50), or more when typed ($0.125 stays 0.125).
    exponent = amount.normalize().as_tuple().exponent
    return max(currency.digits, -exponent if isinstance(exponent, int) else 0)


def lookback_days() -> int:
    return settings.KOEL_RATE_LOOKBACK_DAYS
