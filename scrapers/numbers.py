"""The one reader of the figures spiders scrape: rates, and the amounts sites quote them per.

    rate_number(Decimal("0.8373719808658"), source="floatrates")        JSON numbers
    rate_text("1.3617", source="bank_of_canada")                        text in XML, CSV, HTML
    rate_text("10,5", source="norges_bank", decimal=",")                a decimal comma
    rate_text("1,374,507.51", source="x_rates", grouping=True)          thousands separators

Either returns a positive finite Decimal, digit for digit, or raises ValueError naming the
source, what the figure is and its value, so a page whose numbers do not read fails its crawl
loudly rather than storing a wrong rate. JSON bodies are read with `parse_float=Decimal`, which
keeps every digit; whole numbers (a base's own 1) still arrive as int.
"""

import re
from decimal import Decimal

PLAIN = re.compile(r"[+-]?\d+(?:\.\d+)?")
GROUPED = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?")


def is_json_number(value: object) -> bool:
    """An int or Decimal from a JSON body (a bool is an int to Python, not a number here)."""
    return isinstance(value, int | Decimal) and not isinstance(value, bool)


def rate_number(value: object, *, source: str, what: str = "rate") -> Decimal:
    """A figure a JSON body gives as a number; a string or null there means the schema drifted."""
    if not is_json_number(value):
        raise ValueError(f"{source}: {what} is not a number: {value!r}")
    return _positive(Decimal(value), source=source, what=what)


def rate_text(
    text: object, *, source: str, what: str = "rate", decimal: str = ".", grouping: bool = False
) -> Decimal:
    """A figure written as plain digits with `decimal` as the decimal mark and, with `grouping`,
    commas between thousands; exponents, words and other marks are refused."""
    if not isinstance(text, str):
        raise ValueError(f"{source}: {what} is not text: {text!r}")
    figure = text.strip().replace(decimal, ".") if decimal != "." else text.strip()
    if not (PLAIN.fullmatch(figure) or (grouping and GROUPED.fullmatch(figure))):
        raise ValueError(f"{source}: {what} is not a plain decimal: {text!r}")
    return _positive(Decimal(figure.replace(",", "")), source=source, what=what)


def _positive(value: Decimal, *, source: str, what: str) -> Decimal:
    if not value.is_finite() or value <= 0:
        raise ValueError(f"{source}: {what} is not a positive number: {value}")
    return value
