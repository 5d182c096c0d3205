"""What the Open Exchange Rates and Fixer layers share: reading one base's rates (latest, for a
day, or for each day of a range) through the selectors, parsing the values both APIs take (codes,
dates, flags, a base) and the numbers they print. Serving is rates.compat.http.

The compatible APIs answer what Koel's own API (/api/v1/) answers, from the one read entry,
`rates.reads.rates_for_base`, under its rule for which quote wins (see rates.reads): the latest
rate of a pair blended across the sources quoting it, a rate at an instant the observation in
force then; direct, inverse or cross via a pivot.
"""

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_EVEN, Context, Decimal

from django.http import HttpRequest
from django.utils import timezone

from rates.reads import active_codes, known_codes, pivots, rates_for_base

_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}

# Days before this are answered "no data" without a query (and keep date arithmetic in range).
EARLIEST_DAY = date(1900, 1, 1)
# Rates are printed with at most 10 significant digits: every source's own precision (ECB: 5,
# scraped sites: up to 8-10) survives, the 18 digits of a computed inverse or cross do not.
_PRINTED = Context(prec=10, rounding=ROUND_HALF_EVEN)
ONE = Decimal(1)


@dataclass(frozen=True)
class Rates:
    """One base's rates for one instant; `observed_at` is the newest observation used."""

    base: str
    rates: dict[str, Decimal]
    observed_at: datetime | None

    @property
    def has_data(self) -> bool:
        return self.observed_at is not None

    @property
    def timestamp(self) -> int:
        """Unix time of the data used (of the request when no stored rate was needed)."""
        return unix(self.observed_at or timezone.now())

    def printed(self) -> dict[str, int | float]:
        return {code: number(rate) for code, rate in self.rates.items()}

    def lacks(self, symbols: list[str] | None) -> bool:
        """No stored rate answered though more than the base itself (1) was asked for."""
        asks_others = symbols is None or any(code != self.base for code in symbols)
        return not self.has_data and asks_others


def read_rates(*, base: str, targets: list[str] | None, at: datetime | None) -> Rates:
    """`base` against `targets` (None: every active currency, and the base itself at 1), the
    latest (at=None) or in force at `at`. Targets nothing answers for are left out."""
    wanted = active_codes() if targets is None else targets
    others = [code for code in wanted if code != base]
    found = rates_for_base(base, targets=others, at=at) if others else {}
    rates = {target: answer.rate for target, answer in found.items()}
    if targets is None or base in targets:
        rates[base] = ONE
    newest = max((answer.observed_at for answer in found.values()), default=None)
    return Rates(base, dict(sorted(rates.items())), newest)


def read_series(
    *, base: str, targets: list[str] | None, start: date, end: date
) -> dict[date, Rates]:
    """`read_rates` for each day of [start, end] up to today (each day read as `instant_for`
    reads it, so a day's entry equals that day's historical answer); days without data are
    left out."""
    wanted = [*active_codes(), base] if targets is None else targets  # read once, not daily
    series = {}
    day, last = start, min(end, today())
    while day <= last:
        rates = read_rates(base=base, targets=wanted, at=instant_for(day))
        if rates.has_data:
            series[day] = rates
        day += timedelta(days=1)
    return series


def instant_for(day: date) -> datetime | None:
    """When a day's rates are read: the last instant of that UTC day (the rate in force at its
    end, so weekends and holidays get the last working day's rates), or None (the latest rates)
    for today."""
    if day >= today():
        return None
    return datetime.combine(day, time.max, tzinfo=UTC)


def today() -> date:
    return timezone.now().astimezone(UTC).date()


def depends_on(base: str, targets: Iterable[str] | None) -> set[str]:
    """The bases whose stored rows an answer for `base` against `targets` may read: the base,
    every target (inverse quotes are stored under the target) and the pivots (cross rates)."""
    wanted = active_codes() if targets is None else targets
    return {base, *wanted, *pivots()}


def split_codes(raw: str) -> list[str]:
    """'usd, EUR,,gbp' -> ['USD', 'EUR', 'GBP']: upper-cased, stripped, blanks and repeats
    dropped, order kept. Entries need not be well-formed codes (see `known_codes`)."""
    codes = (part.strip().upper() for part in raw.split(","))
    return list(dict.fromkeys(code for code in codes if code))


def base_param(request: HttpRequest, *, default: str, invalid: Callable[[str], Exception]) -> str:
    """The `base` parameter as a code Koel knows, `default` when absent; else raises
    invalid(raw value)."""
    raw = request.GET.get("base")
    if raw is None:
        return default
    code = parse_code(raw)
    if not known_codes([code]):
        raise invalid(raw)
    return code


def parse_code(raw: str) -> str:
    """A query value as a currency code candidate ('usd ' -> 'USD')."""
    return raw.strip().upper()


def parse_day(raw: str) -> date | None:
    """A strict YYYY-MM-DD calendar date, else None."""
    if not raw.isascii() or not _DAY.fullmatch(raw):
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        return None


def parse_flag(raw: str) -> bool | None:
    """A boolean query value (1/0, true/false, yes/no, on/off), else None (also for '')."""
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    return None


def number(value: Decimal, *, exact: bool = False) -> int | float:
    """A Decimal as a JSON number: rounded to 10 significant digits (unless `exact`), an int
    when whole (1, not 1.0)."""
    if not exact:
        value = _PRINTED.plus(value)
    if value == value.to_integral_value():
        return int(value)
    return float(value)


def unix(moment: datetime) -> int:
    return int(moment.timestamp())
