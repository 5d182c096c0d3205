"""A bar chart of rates per day, laid out here and drawn as inline SVG by the dashboard's
template (no script, no chart library: thirty bars need neither)."""

from dataclasses import dataclass
from datetime import date

from rates.reads import DayCount

WIDTH, HEIGHT = 600, 120  # the SVG's viewBox; the page scales it to its width
GAP = 2  # between bars


@dataclass(frozen=True)
class Bar:
    day: date
    rates: int
    derived: int
    x: float
    width: float
    y: float  # top of the whole bar
    height: float
    derived_y: float  # the derived part is drawn at the bottom of the bar
    derived_height: float


@dataclass(frozen=True)
class BarChart:
    bars: list[Bar]
    peak: int  # the tallest bar's count: the scale's top
    total: int
    width: int = WIDTH
    height: int = HEIGHT


def per_day_chart(counts: list[DayCount]) -> BarChart:
    peak = max((c.rates for c in counts), default=0)
    slot = WIDTH / max(len(counts), 1)
    bars = []
    for index, count in enumerate(counts):
        height = HEIGHT * count.rates / peak if peak else 0
        derived_height = HEIGHT * count.derived / peak if peak else 0
        bars.append(
            Bar(
                day=count.day,
                rates=count.rates,
                derived=count.derived,
                x=round(index * slot + GAP / 2, 2),
                width=round(slot - GAP, 2),
                y=round(HEIGHT - height, 2),
                height=round(height, 2),
                derived_y=round(HEIGHT - derived_height, 2),
                derived_height=round(derived_height, 2),
            )
        )
    return BarChart(bars=bars, peak=peak, total=sum(c.rates for c in counts))
