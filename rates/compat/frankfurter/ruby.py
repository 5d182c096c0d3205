"""Frankfurter is written in Ruby; these reproduce the few Ruby behaviours its answers depend on.

Rates are IEEE doubles there, so they are floats here: the same operations on the same doubles
give the same digits. Koel's exact decimals become the nearest double, as Frankfurter's stored
floats are.
"""

import math
import re
from datetime import date

# String#to_f: the longest numeric prefix (underscores between digits allowed), else 0.0.
_NUMBER = re.compile(
    r"\s*(?P<sign>[+-]?)(?P<int>\d+(?:_\d+)*)?(?:\.(?P<frac>\d+(?:_\d+)*))?"
    r"(?:[eE](?P<exp>[+-]?\d+(?:_\d+)*))?"
)
_ISO_DAY = re.compile(r"(\d{4})-?(\d{2})(?:-?(\d{2}))?(?:[T ].*)?")


class RubyError(ValueError):
    """What Ruby would raise; the message is Ruby's, and Frankfurter answers it as a 422."""


def to_f(text: str) -> float:
    """Ruby's String#to_f: "1_000" → 1000.0, "12abc" → 12.0, "abc" → 0.0, "1e400" → inf."""
    match = _NUMBER.match(text)
    if not match or not (match["int"] or match["frac"]):
        return 0.0
    digits = f"{match['int'] or '0'}.{match['frac'] or '0'}".replace("_", "")
    exponent = (match["exp"] or "0").replace("_", "")
    try:
        return float(f"{match['sign']}{digits}e{exponent}")
    except OverflowError:  # pragma: no cover - float() returns inf rather than raising
        return math.copysign(math.inf, -1.0 if match["sign"] == "-" else 1.0)


def split(text: str, sep: str = ",") -> list[str]:
    """Ruby's String#split: trailing empty fields are dropped ("USD," → ["USD"], "" → [])."""
    parts = text.split(sep)
    while parts and parts[-1] == "":
        parts.pop()
    return parts


def parse_date(text: str) -> date:
    """Date.parse for the shapes clients send (2024-01-05, 20240105, 2024-01, 2024-01-05T…).

    Raises RubyError("invalid date") as Ruby's Date::Error does. Year 0 exists for Ruby but not
    for Python: it becomes 0001-01-01, before any rate.
    """
    match = _ISO_DAY.fullmatch(text.strip())
    if not match:
        raise RubyError("invalid date")
    year, month, day = int(match[1]), int(match[2]), int(match[3] or 1)
    try:
        return date(max(year, 1), month, day) if year else _year_zero(month, day)
    except ValueError as exc:
        raise RubyError("invalid date") from exc


def _year_zero(month: int, day: int) -> date:
    date(2000, month, day)  # year 0 is a leap year, as 2000: validates the month and day
    return date.min


def round_rate(value: float) -> float | int:
    """Frankfurter's Roundable#round: the quotation convention's decimals by magnitude.

    Above 5000 no decimals (an Integer in Ruby, so JSON shows no ".0"), above 80 two, above 20
    three, above 1 four, above 0.0001 five, else six. Ruby raises on infinity (FloatDomainError)
    and on "NaN" (Float()), which Frankfurter answers as 422 with Ruby's message.
    """
    if value > 5000:
        if math.isinf(value):
            raise RubyError("Infinity")
        return _round_half_away(value)
    if math.isnan(value):
        raise RubyError('invalid value for Float(): "NaN"')
    if value == -math.inf:
        raise RubyError('invalid value for Float(): "-Inf"')
    for bound, digits in ((80, 2), (20, 3), (1, 4), (0.0001, 5)):
        if value > bound:
            return float(format(value, f".{digits}f"))
    return float(format(value, ".6f"))


def _round_half_away(value: float) -> int:
    # Float#round with no digits is C's round(): halves away from zero, on the exact double.
    floor = math.floor(value)
    return floor + 1 if value - floor >= 0.5 else floor


def fsum(values) -> float:
    """Array#sum over floats: Kahan-Babuska compensated summation, as Ruby does it."""
    total, compensation = 0.0, 0.0
    for x in values:
        t = total + x
        if abs(total) >= abs(x):
            compensation += (total - t) + x
        else:
            compensation += (x - t) + total
        total = t
    return total + compensation


def float_str(value: float | int) -> str:
    """Float#to_s (CSV cells): 1.0956, 136.0, 1.0e-05, 1.0e+16; an Integer prints bare."""
    if isinstance(value, int):
        return str(value)
    text = repr(value)
    if "e" in text:
        mantissa, exponent = text.split("e")
        if "." not in mantissa:
            mantissa += ".0"
        return f"{mantissa}e{exponent}"
    return text


def add_months(day: date, months: int) -> date:
    """Ruby's Date#>>: the same day `months` later, clamped to the month's end."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    if year > 9999:
        return date.max
    for last in (day.day, 30, 29, 28):
        try:
            return date(year, month + 1, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")
