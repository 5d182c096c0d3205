"""Response shapes of the analytics endpoints, for the OpenAPI schema (the views answer plain
data built in monitor.analytics.answers), with examples."""

from drf_spectacular.utils import OpenApiExample
from rest_framework import serializers

from monitor.analytics.selectors import STILL


class WindowOut(serializers.Serializer):
    window = serializers.CharField(help_text="24h, 7d or 30d.")
    interval = serializers.CharField(help_text="The buckets' length: minute … week.")
    start = serializers.DateTimeField(help_text="end − window (UTC).")
    end = serializers.DateTimeField(help_text="The window's end, exclusive (UTC).")
    buckets = serializers.IntegerField(
        help_text="Buckets of the UTC grid in the window (the first and last may be partial)."
    )


class SeriesOut(serializers.Serializer):
    pair = serializers.CharField(help_text="BASE/TARGET, as asked.")
    base = serializers.CharField()
    target = serializers.CharField()
    path = serializers.ChoiceField(
        ["direct", "inverse", "cross"], allow_null=True, help_text="null: no rate in the window."
    )
    via = serializers.CharField(allow_null=True, help_text="The pivot of a cross rate.")
    buckets = serializers.IntegerField(help_text="Buckets with a value (a rate observed in it).")
    observations = serializers.IntegerField(
        help_text="Log returns between adjacent buckets with values (a gap is not spanned)."
    )
    reason = serializers.CharField(allow_null=True, help_text="Why a figure is null, else null.")


class PairVolatilityOut(SeriesOut):
    volatility = serializers.FloatField(
        allow_null=True,
        help_text="Sample standard deviation (n − 1) of the log returns, per interval; null "
        "below 2 returns; 0 for a pair that did not move.",
    )
    annualized = serializers.FloatField(
        allow_null=True,
        help_text="volatility × sqrt(periods_per_year) with annualize=true, else null.",
    )


class VolatilityOut(WindowOut):
    annualize = serializers.BooleanField()
    periods_per_year = serializers.FloatField(
        help_text="365 days / interval: a calendar year, not trading days (105120 for 5min)."
    )
    pairs = PairVolatilityOut(many=True, help_text="In the order asked.")


class CorrelationOut(WindowOut):
    pairs = serializers.ListField(
        child=serializers.CharField(), help_text="The matrix's rows and columns, as asked."
    )
    observations = serializers.IntegerField(
        help_text="Log returns used: the buckets where every pair has one."
    )
    matrix = serializers.ListField(
        child=serializers.ListField(child=serializers.FloatField(allow_null=True)),
        help_text="Pearson correlation of the log returns, pairs × pairs; null where undefined "
        "(see `reason` and each series' `reason`).",
    )
    reason = serializers.CharField(
        allow_null=True, help_text="Why the whole matrix is null (too few common returns)."
    )
    series = SeriesOut(many=True, help_text="Each pair's own buckets and returns, as asked.")


_WINDOW = {
    "window": "24h",
    "interval": "5min",
    "start": "2026-12-06T14:00:00+00:00",
    "end": "2026-12-07T14:00:00+00:00",
    "buckets": 288,
}


def _series(pair: str, counts: tuple[int, int], via: str | None = None, **more) -> dict:
    """One pair's entry of an example: its buckets and returns, read directly or via a pivot."""
    base, target = pair.split("/")
    path = "cross" if via else "direct"
    buckets, observations = counts
    found = {"pair": pair, "base": base, "target": target, "path": path, "via": via}
    return {**found, "buckets": buckets, "observations": observations, "reason": None, **more}


VOLATILITY = OpenApiExample(
    "two live pairs, annualised",
    {
        **_WINDOW,
        "annualize": True,
        "periods_per_year": 105120.0,
        "pairs": [
            _series("EUR/USD", (288, 287), volatility=0.000184, annualized=0.0597),
            _series("EUR/JPY", (286, 284), "USD", volatility=0.000231, annualized=0.0749),
        ],
    },
)

CORRELATION = OpenApiExample(
    "two live pairs and one that did not move",
    {
        **_WINDOW,
        "pairs": ["EUR/USD", "USD/CHF", "USD/HKD"],
        "observations": 281,
        "matrix": [[1.0, -0.91, None], [-0.91, 1.0, None], [None, None, None]],
        "reason": None,
        "series": [
            _series("EUR/USD", (288, 287)),
            _series("USD/CHF", (285, 282)),
            _series("USD/HKD", (288, 287), reason=STILL),
        ],
    },
)
