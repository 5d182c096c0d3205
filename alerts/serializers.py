from decimal import Decimal

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema_serializer
from rest_framework import serializers

from alerts.models import WEB_URL, AlertFiring, AlertRule, Delivery
from alerts.validation import pair_errors

RULE_EXAMPLE = {
    "name": "EUR over 1.20",
    "base": "EUR",
    "target": "USD",
    "condition": "above",
    "threshold": "1.2",
    "hysteresis": "0.005",
    "cooldown": "01:00:00",
    "webhook_url": "https://example.com/koel-hook",
}


@extend_schema_serializer(
    examples=[
        OpenApiExample("Above a threshold", value=RULE_EXAMPLE, request_only=True),
        OpenApiExample(
            "A 2% move in 24 hours",
            value={
                "base": "GBP",
                "target": "JPY",
                "condition": "change_pct",
                "threshold": "2",
                "window_hours": 24,
                "hysteresis": "0.5",
            },
            request_only=True,
        ),
    ]
)
class AlertRuleSerializer(serializers.ModelSerializer):
    base = serializers.CharField(max_length=3, min_length=3)
    target = serializers.CharField(max_length=3, min_length=3)
    threshold = serializers.DecimalField(
        max_digits=28,
        decimal_places=12,
        min_value=Decimal("1e-12"),
        help_text="> 0: the rate for above/below, a percentage for change_pct.",
    )
    # Declared: DRF leaves a model URLField's own URLValidator out, schemes and all.
    webhook_url = serializers.URLField(required=False, allow_blank=True, validators=[WEB_URL])
    slack_url = serializers.URLField(required=False, allow_blank=True, validators=[WEB_URL])
    hysteresis = serializers.DecimalField(
        max_digits=28, decimal_places=12, min_value=Decimal(0), required=False
    )

    class Meta:
        model = AlertRule
        fields = [
            "id",
            "name",
            "base",
            "target",
            "condition",
            "threshold",
            "window_hours",
            "hysteresis",
            "cooldown",
            "active",
            "armed",
            "last_fired_at",
            "notify_email",
            "webhook_url",
            "webhook_secret",
            "slack_url",
            "created_at",
        ]
        read_only_fields = ["armed", "last_fired_at", "webhook_secret", "created_at"]

    def validate_base(self, value: str) -> str:
        return value.upper()

    def validate_target(self, value: str) -> str:
        return value.upper()

    def validate_cooldown(self, value):
        if value.total_seconds() < 0:
            raise serializers.ValidationError("The cooldown cannot be negative.")
        return value

    def validate(self, attrs: dict) -> dict:
        base = attrs.get("base", getattr(self.instance, "base", None))
        target = attrs.get("target", getattr(self.instance, "target", None))
        if errors := pair_errors(base, target):
            raise serializers.ValidationError(errors)
        return attrs


class DeliverySerializer(serializers.ModelSerializer):
    class Meta:
        model = Delivery
        fields = ["channel", "outcome", "attempts", "last_attempt_at", "last_error"]


class AlertFiringSerializer(serializers.ModelSerializer):
    deliveries = DeliverySerializer(many=True, read_only=True)

    class Meta:
        model = AlertFiring
        fields = [
            "id",
            "rule",
            "rate",
            "reference_rate",
            "observed_at",
            "source",
            "fired_at",
            "is_test",
            "deliveries",
        ]


class AlertErrorDetail(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    field = serializers.CharField(allow_null=True)


class AlertErrorResponse(serializers.Serializer):
    """Koel's error envelope (rates.api.errors, the project's exception handler)."""

    error = AlertErrorDetail()


BAD_REQUEST = OpenApiResponse(
    AlertErrorResponse,
    description="Invalid input; `field` names the field.",
    examples=[
        OpenApiExample(
            "pair Koel cannot quote",
            {
                "error": {
                    "code": "invalid",
                    "message": "Unknown currency code: 'XYZ'",
                    "field": "target",
                }
            },
        )
    ],
)
UNAUTHENTICATED = OpenApiResponse(
    AlertErrorResponse, description="No session or token (Authorization: Token <key>)."
)
FORBIDDEN = OpenApiResponse(AlertErrorResponse, description="A session request without CSRF.")
NOT_FOUND = OpenApiResponse(
    AlertErrorResponse, description="No such rule or firing of yours (another user's is 404)."
)
