"""Two years of daily EUR→USD from the ECB (weekdays of 2023 and 2024), for the pair page's
tests: a known number of points in every range."""

from datetime import date, timedelta
from decimal import Decimal

FIRST, LAST = date(2023, 1, 2), date(2024, 12, 31)


def weekdays(first: date = FIRST, last: date = LAST) -> list[date]:
    days = (first + timedelta(days=n) for n in range((last - first).days + 1))
    return [d for d in days if d.weekday() < 5]


def rate_on(day: date) -> Decimal:
    """A rate that moves every day: 1.05 plus up to 0.049 over a 50-weekday cycle."""
    return Decimal("1.05") + Decimal((day - FIRST).days % 50) / 1000


def eur_usd_rows() -> list[tuple[str, str, str, str]]:
    return [("EUR", "USD", str(rate_on(d)), f"{d}T16:00") for d in weekdays()]
