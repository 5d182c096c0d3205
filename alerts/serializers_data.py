from drf_spectacular.utils import OpenApiExample, extend_schema_serializer
from rest_framework import serializers

from alerts.models import TARGET_URL, DataDelivery, DataDeliveryAttempt, DataSubscription
from alerts.serializers import ATTEMPT_FIELDS
from alerts.validation import currencies_error


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "EUR and JPY rates to a hook",
            value={"currencies": ["EUR", "JPY"], "url": "https://example.com/koel-rates"},
            request_only=True,
        )
    ]
)
class DataSubscriptionSerializer(serializers.ModelSerializer):
    currencies = serializers.ListField(
        child=serializers.CharField(min_length=3, max_length=3), min_length=1, max_length=500
    )
    url = serializers.URLField(validators=TARGET_URL)

    class Meta:
        model = DataSubscription
        fields = ["id", "currencies", "url", "secret", "active", "created_at"]
        read_only_fields = ["secret", "created_at"]

    def validate_currencies(self, value: list[str]) -> list[str]:
        codes = sorted({code.upper() for code in value})
        if error := currencies_error(codes):
            raise serializers.ValidationError(error)
        return codes


class DataDeliveryAttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = DataDeliveryAttempt
        fields = ATTEMPT_FIELDS


DATA_DELIVERY_EXAMPLE = {
    "id": 42,
    "subscription": 5,
    "payload": {
        "event": "rates.landed",
        "source": "ecb",
        "rates": [
            {
                "base": "EUR",
                "target": "JPY",
                "rate": "160.5",
                "observed_at": "2026-01-05T16:00:00+00:00",
            }
        ],
    },
    "outcome": "pending",
    "attempts": 1,
    "last_attempt_at": "2026-01-05T16:00:02.310000Z",
    "last_error": "https://example.com/koel-rates answered HTTP 500",
    "created_at": "2026-01-05T16:00:02.200000Z",
    "attempt_log": [
        {
            "number": 1,
            "started_at": "2026-01-05T16:00:02.310000Z",
            "duration_ms": 35,
            "outcome": "failed",
            "http_status": 500,
            "error": "https://example.com/koel-rates answered HTTP 500",
        }
    ],
}


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "A batch whose first attempt failed, waiting for its retry",
            value=DATA_DELIVERY_EXAMPLE,
            response_only=True,
        )
    ]
)
class DataDeliverySerializer(serializers.ModelSerializer):
    attempt_log = DataDeliveryAttemptSerializer(many=True, read_only=True)

    class Meta:
        model = DataDelivery
        fields = ["id", "subscription", "payload", "outcome", "attempts", "last_attempt_at"]
        fields += ["last_error", "created_at", "attempt_log"]
