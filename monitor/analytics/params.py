"""Query parameters of the analytics endpoints: a bad value is a 400 naming it."""

import re
from datetime import datetime, timedelta

from django.utils import timezone
from rest_framework import serializers

from monitor.analytics.selectors import DEFAULT_INTERVALS, WINDOWS, Grid
from monitor.live import live_pairs
from rates.api.params import MomentField, StrictParams
from rates.reads import MAX_SPAN, known_codes
from rates.types import Interval

PAIR = re.compile(r"^([A-Z]{3})/([A-Z]{3})$")
MAX_PAIRS = 20
# Buckets of a fixed length: a return over a month would not be comparable with the next.
FIXED = [interval for interval in Interval if interval.width is not None]


class PairListField(serializers.CharField):
    """Comma-separated pairs BASE/TARGET, e.g. `EUR/USD,USD/JPY` (any case), in the order given;
    a repeated pair counts once. Any pair Koel can quote, cross rates included."""

    def to_internal_value(self, data) -> list[tuple[str, str]]:
        given = [part.strip().upper() for part in super().to_internal_value(data).split(",")]
        given = list(dict.fromkeys(given))
        bad = [text for text in given if not PAIR.match(text)]
        if bad:
            raise serializers.ValidationError(f"Not pairs like EUR/USD: {', '.join(bad)}.")
        if len(given) > MAX_PAIRS:
            raise serializers.ValidationError(f"At most {MAX_PAIRS} pairs.")
        pairs = [PAIR.match(text).groups() for text in given]
        codes = {code for pair in pairs for code in pair}
        unknown = sorted(codes - known_codes(codes))
        if unknown:
            raise serializers.ValidationError(f"Unknown currency code: {unknown[0]!r}.")
        same = [f"{base}/{target}" for base, target in pairs if base == target]
        if same:
            raise serializers.ValidationError(f"A pair needs two different currencies: {same[0]}.")
        return pairs


class AnalyticsParams(StrictParams):
    pairs = PairListField(
        required=False,
        help_text=f"Up to {MAX_PAIRS} pairs, e.g. EUR/USD,USD/JPY; default: the live group.",
    )
    window = serializers.ChoiceField(list(WINDOWS), default="24h", help_text="Ending at `end`.")
    interval = serializers.ChoiceField(
        [interval.value for interval in FIXED],
        required=False,
        help_text="Bucket length, finer than the window; default: 5min for 24h, hour for 7d, "
        "day for 30d.",
    )
    end = MomentField(required=False, help_text="The window's end (a date: its end); default: now.")

    def validate(self, attrs: dict) -> dict:
        attrs = super().validate(attrs)
        window = WINDOWS[attrs["window"]]
        interval = Interval(attrs.get("interval") or DEFAULT_INTERVALS[attrs["window"]])
        if interval.width >= window:
            raise serializers.ValidationError(
                {"interval": [f"Must be finer than the window ({attrs['window']})."]}
            )
        if window > MAX_SPAN[interval]:
            days = MAX_SPAN[interval].days
            raise serializers.ValidationError(
                {"interval": [f"At most {days} days of {interval} buckets: pick a coarser one."]}
            )
        end = _end(attrs.get("end"))
        attrs.update(grid=Grid(end - window, end, interval), latest="end" not in attrs)
        attrs["pairs"] = attrs.get("pairs") or live_pairs()
        return attrs


def _end(moment) -> datetime:
    if moment is None:
        return timezone.now()
    if moment.instant > timezone.now() + timedelta(days=1):
        raise serializers.ValidationError({"end": ["Is in the future."]})
    # A date means the whole day: the window is half-open, so it ends at the next midnight.
    return moment.instant + timedelta(microseconds=1) if moment.day else moment.instant


class VolatilityParams(AnalyticsParams):
    annualize = serializers.BooleanField(
        default=False, help_text="Also annualise: × sqrt(periods per year), 365-day year."
    )


class CorrelationParams(AnalyticsParams):
    def validate(self, attrs: dict) -> dict:
        attrs = super().validate(attrs)
        if len(attrs["pairs"]) < 2:
            raise serializers.ValidationError({"pairs": ["A correlation needs at least 2 pairs."]})
        return attrs
