"""The converter's 30-day sparkline, drawn on the server so that the page shows it without
JavaScript; converter.js redraws it after a change from /api/v1/rates/history/, which answers
from the same rates.reads.history over the same days, with the same geometry."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from rates.exceptions import RateNotFound
from rates.reads import history

DAYS = 30
WIDTH, HEIGHT = 100, 24  # the SVG's viewBox; CSS sizes it


@dataclass(frozen=True, slots=True)
class Sparkline:
    points: str  # an SVG polyline's `points`
    count: int


def sparkline_get(base: str, target: str, *, until: date) -> Sparkline | None:
    """Daily closes of base→target over the 30 days up to `until`, or None with no history."""
    end = datetime.combine(until + timedelta(days=1), time.min, tzinfo=UTC)
    start = datetime.combine(until - timedelta(days=DAYS), time.min, tzinfo=UTC)
    try:
        found = history(base, target, start, end)
    except RateNotFound:
        return None
    values = [bucket.close for bucket in found.buckets]
    return Sparkline(polyline(values), len(values))


def polyline(values: list[Decimal]) -> str:
    """x spread evenly, y scaled between min (bottom) and max (top), a pixel of margin."""
    if len(values) < 2:
        return f"0,{HEIGHT / 2:.2f} {WIDTH},{HEIGHT / 2:.2f}"
    low, high = min(values), max(values)
    span = (high - low) or Decimal(1)
    step = Decimal(WIDTH) / (len(values) - 1)
    return " ".join(
        f"{i * step:.2f},{HEIGHT - 1 - (value - low) / span * (HEIGHT - 2):.2f}"
        for i, value in enumerate(values)
    )
