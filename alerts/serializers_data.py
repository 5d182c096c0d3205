from drf_spectacular.utils import OpenApiExample, extend_schema_serializer
from rest_framework import serializers

from alerts.models import WEB_URL, DataDelivery, DataSubscription
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
    url = serializers.URLField(validators=[WEB_URL])

    class Meta:
        model = DataSubscription
        fields = ["id", "currencies", "url", "secret", "active", "created_at"]
        read_only_fields = ["secret", "created_at"]

    def validate_currencies(self, value: list[str]) -> list[str]:
        codes = sorted({code.upper() for code in value})
        if error := currencies_error(codes):
            raise serializers.ValidationError(error)
        return codes


class DataDeliverySerializer(serializers.ModelSerializer):
    class Meta:
        model = DataDelivery
        fields = ["id", "subscription", "payload", "outcome", "attempts", "last_attempt_at"]
        fields += ["last_error", "created_at"]
