"""Query parameters of the API, validated by DRF serializers: a bad value is a 400 naming it.

`parse` validates with one serializer per class, built once: a new serializer deep-copies every
declared field on each request, which cost about as much as the rest of the validation.
"""

import re
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from functools import cache

from django.utils import timezone
from rest_framework import serializers
from rest_framework.exceptions import ValidationError

from rates.runs.targets import ScrapeRefused, scrape_target_clean
from rates.types import Interval

CODE = re.compile(r"^[A-Z]{3}$")
END_OF_DAY = time(23, 59, 59, 999999)


class CodeField(serializers.CharField):
    """An ISO 4217 code; case-insensitive on input. Whether Koel knows it is the selectors'
    question (an unknown code is a 400 `unknown_currency` naming this field)."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("max_length", 3)
        super().__init__(**kwargs)

    def to_internal_value(self, data) -> str:
        code = super().to_internal_value(data).strip().upper()
        if not CODE.match(code):
            raise serializers.ValidationError(f"{data!r} is not a three-letter currency code.")
        return code


class CodeListField(serializers.CharField):
    """Comma-separated codes, e.g. `EUR,GBP`."""

    def to_internal_value(self, data) -> list[str]:
        text = super().to_internal_value(data)
        codes = [part.strip().upper() for part in text.split(",")]
        bad = [code for code in codes if not CODE.match(code)]
        if bad:
            raise serializers.ValidationError(f"Not currency codes: {', '.join(bad)}.")
        return list(dict.fromkeys(codes))


class MomentField(serializers.CharField):
    """A date (`2024-01-05`: the end of that day, UTC) or an ISO 8601 date-time (UTC when it
    carries no offset). Kept with the text it came from, for `requested_date`/`requested_at`."""

    def to_internal_value(self, data) -> "Moment":
        text = super().to_internal_value(data).strip()
        try:
            if len(text) == 10:
                day = date.fromisoformat(text)
                return Moment(_served(datetime.combine(day, END_OF_DAY, tzinfo=UTC)), day)
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise serializers.ValidationError(
                f"{text!r} is not a date (YYYY-MM-DD) or an ISO 8601 date-time."
            ) from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return Moment(_served(moment), None)


# The years asked about: Koel holds no rates before 1900, and instants near either end of
# datetime's range (years 1 and 9999) cannot be moved by a look-back window or a day.
EARLIEST_YEAR, LATEST_YEAR = 1900, 9998


def _served(moment: datetime) -> datetime:
    """`moment` in UTC, within the years served. Held in UTC from here on: PostgreSQL refuses an
    offset beyond ±15:59 that Python accepts (up to ±23:59), and UTC is what every read compares."""
    try:
        moment = moment.astimezone(UTC)
    except OverflowError:
        moment = None
    if moment is None or not EARLIEST_YEAR <= moment.year <= LATEST_YEAR:
        raise serializers.ValidationError(
            f"Must be between {EARLIEST_YEAR} and {LATEST_YEAR}: Koel holds no rates outside."
        )
    return moment


class Moment:
    """An instant asked for, and the calendar day when the client gave a date."""

    def __init__(self, instant: datetime, day: date | None) -> None:
        self.instant, self.day = instant, day

    def __eq__(self, other) -> bool:
        return isinstance(other, Moment) and (self.instant, self.day) == (other.instant, other.day)

    __hash__ = None


def getlist(data, name: str) -> list:
    """Every value of `name` in a QueryDict (one, in a plain dict)."""
    return data.getlist(name) if hasattr(data, "getlist") else [data[name]]


class StrictParams(serializers.Serializer):
    """Rejects parameters the endpoint does not know: a typo (`symbol=`) is an error, not a
    silently different answer."""

    def to_internal_value(self, data):
        unknown = sorted(set(data) - set(self.fields))
        if unknown:
            raise serializers.ValidationError({unknown[0]: ["Unknown parameter."]})
        # A QueryDict answers a repeated name with its last value: `base=USD&base=EUR` would be
        # read as EUR without a word. Which one the client meant is not ours to guess.
        repeated = sorted(name for name in data if len(getlist(data, name)) > 1)
        if repeated:
            raise serializers.ValidationError({repeated[0]: ["Given more than once."]})
        # DRF reads an empty form value as "not given"; an empty `symbols=` is a mistake.
        empty = sorted(name for name in data if str(data.get(name, "")).strip() == "")
        if empty:
            raise serializers.ValidationError({empty[0]: ["May not be empty."]})
        return super().to_internal_value(data)

    def validate(self, attrs):
        for name in ("at", "date"):
            moment = attrs.get(name)
            if moment is not None and moment.instant > timezone.now() + timedelta(days=1):
                raise serializers.ValidationError({name: ["Is in the future."]})
        return attrs


class AmountField(serializers.DecimalField):
    """A non-negative decimal kept exactly as written ("100" stays 100, not 100.000…)."""

    # Plain decimals within the field's bounds (28 whole digits at most, 12 decimal places:
    # also under check_amount's 1E+30) are read without DecimalField's checks, which cost more
    # than the rest of a replayed conversion (rates.api.finishers). Anything else is checked.
    PLAIN = re.compile(r"[0-9]{1,28}(?:\.[0-9]{1,12})?")

    def __init__(self, **kwargs) -> None:
        super().__init__(max_digits=40, decimal_places=12, min_value=0, **kwargs)

    def to_internal_value(self, data) -> Decimal:
        if isinstance(data, str) and self.PLAIN.fullmatch(data):
            return Decimal(data)
        return super().to_internal_value(data)

    def quantize(self, value):
        return value


class RatesParams(StrictParams):
    base = CodeField(help_text="Base currency, e.g. USD.")
    target = CodeField(required=False, help_text="One target; omit for all (or `symbols`).")
    symbols = CodeListField(required=False, help_text="Targets, comma-separated: EUR,GBP.")
    amount = AmountField(required=False, help_text="Also convert this amount.")
    at = MomentField(required=False, help_text="A date or date-time: the rate in force then.")
    source = serializers.CharField(required=False, help_text="Only this source's quote.")
    expand = serializers.ChoiceField(
        ["sources"], required=False, help_text="`sources`: each source's quote and its fate."
    )

    def validate(self, attrs):
        attrs = super().validate(attrs)
        if "target" in attrs and "symbols" in attrs:
            raise serializers.ValidationError({"symbols": ["Give target or symbols, not both."]})
        if attrs.get("target") == attrs["base"]:
            raise serializers.ValidationError({"target": ["Equals base."]})
        if attrs.get("at") and (attrs.get("source") or attrs.get("expand")):
            raise serializers.ValidationError(
                {"at": ["source and expand apply to the latest rates only."]}
            )
        return attrs


class ConvertParams(StrictParams):
    # `from` is a Python keyword: declared below under its real name.
    to = CodeField(help_text="Target currency.")
    amount = AmountField(help_text="Amount of `from` to convert.")
    date = MomentField(required=False, help_text="Convert at this date's rate (default: latest).")

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = CodeField(help_text="Currency converted from.")
        return fields

    def validate(self, attrs):
        attrs = super().validate(attrs)
        if attrs["from"] == attrs["to"]:
            raise serializers.ValidationError({"to": ["Equals from."]})
        return attrs


class HistoryParams(StrictParams):
    base = CodeField()
    target = CodeField()
    start = MomentField(required=False, help_text="Start (inclusive); default: 30 days before end.")
    end = MomentField(required=False, help_text="End (inclusive for a date); default: now.")
    interval = serializers.ChoiceField([i.value for i in Interval], default=Interval.DAY.value)
    source = serializers.CharField(required=False, help_text="Only this source's rates.")
    format = serializers.ChoiceField(
        ["json", "csv", "xlsx"],
        required=False,
        help_text="json, csv or xlsx (a workbook); without it, the Accept header chooses.",
    )

    def validate(self, attrs):
        attrs = super().validate(attrs)
        if attrs["base"] == attrs["target"]:
            raise serializers.ValidationError({"target": ["Equals base."]})
        end = attrs.get("end") or Moment(timezone.now(), None)
        # A date as end means the whole day: the range is half-open, so stop at next midnight.
        end_instant = end.instant + timedelta(microseconds=1) if end.day else end.instant
        start = attrs.get("start")
        start_instant = (
            datetime.combine(start.day, time.min, tzinfo=UTC)
            if start and start.day
            else start.instant
            if start
            else end_instant - timedelta(days=30)
        )
        if start_instant >= end_instant:
            raise serializers.ValidationError({"start": ["Must be before end."]})
        attrs["start_instant"], attrs["end_instant"] = start_instant, end_instant
        return attrs


class RunParams(serializers.Serializer):
    scope = serializers.ChoiceField(["group", "base", "source"])
    target = serializers.CharField(max_length=32, help_text="primary|secondary, a code, a source.")

    def validate(self, attrs: dict) -> dict:
        # A scrape that would scrape nothing (unknown or inactive base, disabled source) is
        # refused here with the reason, rather than queued to fail.
        try:
            attrs["target"] = scrape_target_clean(scope=attrs["scope"], target=attrs["target"])
        except ScrapeRefused as refusal:
            raise serializers.ValidationError({"target": [str(refusal)]}) from refusal
        return attrs


def parse(params_class: type[serializers.Serializer], query) -> dict:
    """The validated parameters of `query` (a QueryDict); raises ValidationError as
    `is_valid(raise_exception=True)` does, with the same body."""
    try:
        return _prototype(params_class).run_validation(query)
    except ValidationError as exc:
        raise ValidationError(exc.detail) from None


@cache
def _prototype(params_class: type[serializers.Serializer]) -> serializers.Serializer:
    # Validation keeps no state on the serializer or its fields (run_validation returns the
    # values; is_valid is what stores them), so one instance serves every thread.
    prototype = params_class()
    prototype.fields  # noqa: B018 - bound once, here, not in a request
    return prototype
