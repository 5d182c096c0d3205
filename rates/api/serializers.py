"""Response shapes of the API: they render the model-backed endpoints and document every
answer in the OpenAPI schema (the rate endpoints build plain data in rates.api.answers)."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from rates.models import Currency, ScrapeRun, Source
from rates.runs.health import circuit_state


class ErrorDetail(serializers.Serializer):
    code = serializers.CharField(help_text="invalid, unknown_currency, not_found, throttled…")
    message = serializers.CharField()
    field = serializers.CharField(allow_null=True, help_text="The parameter at fault, if one is.")


class ErrorResponse(serializers.Serializer):
    error = ErrorDetail()


class SourceQuoteOut(serializers.Serializer):
    source = serializers.CharField()
    rate = serializers.CharField(help_text="1 base = rate target, as this source gives it.")
    observed_at = serializers.DateTimeField()
    inverse = serializers.BooleanField(help_text="The source quoted target→base; inverted here.")
    derived = serializers.BooleanField()
    excluded = serializers.BooleanField(help_text="Left out of the published rate.")
    reason = serializers.CharField(allow_null=True)


class Staleness(serializers.Serializer):
    """How old a latest rate is (absent for a rate at an instant)."""

    stale = serializers.BooleanField(
        required=False,
        help_text="Latest rates only: older than the pair's refresh window (its group's "
        "schedule, KOEL_BLEND_WINDOW_HOURS). The newest rate held is still the answer.",
    )
    age_seconds = serializers.IntegerField(
        required=False,
        help_text="Latest rates only: seconds from observed_at to when the answer was built "
        "(answers are rebuilt at least every KOEL_API_MAX_AGE seconds).",
    )


class RateOut(Staleness):
    target = serializers.CharField()
    rate = serializers.CharField(help_text="1 base = rate target (exact decimal, as a string).")
    inverse = serializers.CharField(help_text="1 target = inverse base (18 significant digits).")
    observed_at = serializers.DateTimeField(help_text="When the rate was observed (UTC).")
    rate_date = serializers.DateField(help_text="The UTC day of observed_at.")
    source = serializers.CharField(help_text="The source, or `blend` for a median of several.")
    sources = serializers.ListField(child=serializers.CharField())
    derived = serializers.BooleanField(help_text="Computed by Koel (inverse or cross), not quoted.")
    path = serializers.ChoiceField(["direct", "inverse", "cross"])
    via = serializers.CharField(allow_null=True, help_text="The pivot of a cross rate.")
    converted = serializers.CharField(required=False, help_text="amount × rate, rounded.")
    quotes = SourceQuoteOut(many=True, required=False, help_text="With expand=sources.")


class RatesOut(serializers.Serializer):
    base = serializers.CharField()
    requested_at = serializers.DateTimeField(
        allow_null=True, help_text="The instant asked for (`at`); null for the latest rates."
    )
    requested_date = serializers.DateField(
        allow_null=True, help_text="The day asked for; null for the latest rates."
    )
    amount = serializers.CharField(allow_null=True)
    rates = RateOut(many=True)
    missing = serializers.ListField(
        child=serializers.CharField(), help_text="Targets asked for that no rate answers."
    )


class ConvertOut(Staleness):
    to = serializers.CharField()
    amount = serializers.CharField()
    converted = serializers.CharField(help_text="Rounded to the target's minor unit, half up.")
    requested_at = serializers.DateTimeField(allow_null=True, help_text="null for latest.")
    requested_date = serializers.DateField(allow_null=True, help_text="null for latest.")
    rate = serializers.CharField()
    observed_at = serializers.DateTimeField()
    rate_date = serializers.DateField()
    source = serializers.CharField()
    sources = serializers.ListField(child=serializers.CharField())
    derived = serializers.BooleanField()
    path = serializers.CharField()
    via = serializers.CharField(allow_null=True)

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = serializers.CharField()
        return fields


class SummaryOut(serializers.Serializer):
    min = serializers.CharField()
    max = serializers.CharField()
    first = serializers.CharField(help_text="Open of the first bucket.")
    last = serializers.CharField(help_text="Close of the last bucket.")
    change = serializers.CharField(help_text="last − first.")
    change_pct = serializers.CharField(help_text="change / first × 100.")


class PointOut(serializers.Serializer):
    start = serializers.DateTimeField(help_text="Bucket start (UTC; weeks start on Monday).")
    value = serializers.CharField(help_text="The bucket's last rate (= close).")
    open = serializers.CharField()
    high = serializers.CharField()
    low = serializers.CharField()
    close = serializers.CharField()
    count = serializers.IntegerField(help_text="Observations in the bucket.")
    last_observed_at = serializers.DateTimeField()


class HistoryOut(serializers.Serializer):
    base = serializers.CharField()
    target = serializers.CharField()
    interval = serializers.CharField()
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    path = serializers.CharField()
    via = serializers.CharField(allow_null=True)
    summary = SummaryOut()
    points = PointOut(many=True)


class CurrencySerializer(serializers.ModelSerializer):
    class Meta:
        model = Currency
        fields = [
            "code",
            "name",
            "name_plural",
            "symbol",
            "symbol_native",
            "decimal_digits",
            "rounding",
            "icon",
            "group",
            "active",
        ]


class CurrencyDetailSerializer(CurrencySerializer):
    first_date = serializers.DateField(allow_null=True, help_text="First day with a rate.")
    last_date = serializers.DateField(allow_null=True, help_text="Last day with a rate.")
    sources = serializers.ListField(child=serializers.CharField(), help_text="Sources quoting it.")

    class Meta(CurrencySerializer.Meta):
        fields = [*CurrencySerializer.Meta.fields, "first_date", "last_date", "sources"]


class RunSerializer(serializers.ModelSerializer):
    duration = serializers.FloatField(allow_null=True, help_text="Seconds; null while running.")

    class Meta:
        model = ScrapeRun
        fields = [
            "id",
            "scope",
            "target",
            "trigger",
            "status",
            "started_at",
            "finished_at",
            "duration",
            "bases_total",
            "bases_done",
            "rates_stored",
            "rates_derived",
            "rates_quarantined",
            "attempts",
            "errors",
        ]


class LastRunOut(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField(help_text="The run's status.")
    started_at = serializers.DateTimeField()
    outcome = serializers.CharField(
        help_text="This source's last attempt in it: ok, failed, skipped."
    )
    error = serializers.CharField(allow_blank=True)


class SourceSerializer(serializers.ModelSerializer):
    circuit = serializers.SerializerMethodField(help_text="closed, open or half-open.")
    last_run = serializers.SerializerMethodField(help_text="The last scrape run that tried it.")
    success_rate = serializers.FloatField(allow_null=True)
    mean_latency = serializers.FloatField(allow_null=True, help_text="Seconds per attempt.")

    class Meta:
        model = Source
        fields = [
            "code",
            "name",
            "kind",
            "priority",
            "enabled",
            "verified",
            "note",
            "homepage",
            "bases",
            "obey_robots_txt",
            "last_success_at",
            "last_failure_at",
            "last_error",
            "consecutive_failures",
            "attempts",
            "successes",
            "success_rate",
            "mean_latency",
            "circuit",
            "circuit_open_until",
            "last_run",
        ]

    def get_circuit(self, source: Source) -> str:
        return str(circuit_state(source))

    @extend_schema_field(LastRunOut(allow_null=True))
    def get_last_run(self, source: Source) -> dict | None:
        run = (
            ScrapeRun.objects.filter(attempts__contains=[{"source": source.code}])
            .order_by("-started_at")
            .first()
        )
        if run is None:
            return None
        attempt = [a for a in run.attempts if a.get("source") == source.code][-1]
        return {
            "id": run.id,
            "status": run.status,
            "started_at": run.started_at,
            "outcome": attempt.get("outcome", ""),
            "error": attempt.get("error") or attempt.get("reason") or "",
        }


class QueuedRunOut(serializers.Serializer):
    run = serializers.IntegerField(help_text="The run's id: follow it at /api/v1/runs/{run}/.")
    task_id = serializers.CharField()
    scope = serializers.CharField()
    target = serializers.CharField()
    status = serializers.CharField(help_text="`queued` until a worker starts the run.")
