"""The monitor chart's history: each live pair's closes over the last hour (a point a minute)
or the last day (a point every 15 minutes), from rates.reads.history. The page then adds every
rate it receives, so the chart runs on tick by tick while it is open."""

from datetime import timedelta

from django.utils import timezone

from rates.exceptions import RateNotFound
from rates.reads import history
from rates.types import Interval

# span: (how far back, the bucket) — 60 and 96 points a pair.
SPANS = {
    "hour": (timedelta(hours=1), Interval.MINUTE),
    "day": (timedelta(days=1), Interval.FIFTEEN_MINUTES),
}
DEFAULT_SPAN = "hour"


def live_series(pairs: list[tuple[str, str]], span: str) -> dict:
    """{"span", "now", "pairs": {"EUR/USD": [[unix seconds…], [close…]]}}, each point at its
    bucket's last observation (a chart draws floats; cards and table keep the decimals). A
    pair without rates in the span has an empty series."""
    back, interval = SPANS[span]
    end = timezone.now()
    series = {}
    for base, target in pairs:
        try:
            buckets = history(base, target, end - back, end, interval).buckets
        except RateNotFound:
            buckets = []
        series[f"{base}/{target}"] = [
            [int(b.last_observed_at.timestamp()) for b in buckets],
            [float(b.close) for b in buckets],
        ]
    return {"span": span, "now": int(end.timestamp()), "pairs": series}
