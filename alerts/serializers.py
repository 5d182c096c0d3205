import copy
from decimal import Decimal

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema_serializer
from rest_framework import serializers

from alerts.models import (
    RULE_INPUT_FIELDS,
    TARGET_URL,
    AlertFiring,
    AlertRule,
    Delivery,
    DeliveryAttempt,
)

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
    webhook_url = serializers.URLField(required=False, allow_blank=True, validators=TARGET_URL)
    slack_url = serializers.URLField(required=False, allow_blank=True, validators=TARGET_URL)
    hysteresis = serializers.DecimalField(
        max_digits=28, decimal_places=12, min_value=Decimal(0), required=False
    )

    class Meta:
        model = AlertRule
        read_only_fields = ["armed", "last_fired_at", "webhook_secret", "created_at"]
        fields = ["id", *RULE_INPUT_FIELDS, *read_only_fields]

    def validate(self, attrs: dict) -> dict:
        """The model's own checks (AlertRule.clean), on the rule as it would be saved."""
        rule = copy.copy(self.instance) if self.instance else AlertRule()
        for name, value in attrs.items():
            setattr(rule, name, value)
        try:
            rule.clean()  # also upper-cases the codes
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.message_dict) from exc
        return {**attrs, "base": rule.base, "target": rule.target}


ATTEMPT_FIELDS = ["number", "started_at", "duration_ms", "outcome", "http_status", "error"]


class DeliveryAttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = DeliveryAttempt
        fields = ATTEMPT_FIELDS


class DeliverySerializer(serializers.ModelSerializer):
    attempt_log = DeliveryAttemptSerializer(many=True, read_only=True)

    class Meta:
        model = Delivery
        fields = ["channel", "outcome", "attempts", "last_attempt_at", "last_error", "attempt_log"]


FIRING_EXAMPLE = {
    "id": 17,
    "rule": 3,
    "rate": "1.210000000000",
    "reference_rate": None,
    "observed_at": "2026-01-06T16:00:00Z",
    "source": "ecb",
    "fired_at": "2026-01-06T16:00:03.512000Z",
    "is_test": False,
    "deliveries": [
        {
            "channel": "webhook",
            "outcome": "delivered",
            "attempts": 2,
            "last_attempt_at": "2026-01-06T16:00:34.020000Z",
            "last_error": "",
            "attempt_log": [
                {
                    "number": 1,
                    "started_at": "2026-01-06T16:00:03.601000Z",
                    "duration_ms": 48,
                    "outcome": "failed",
                    "http_status": 503,
                    "error": "https://example.com/koel-hook answered HTTP 503",
                },
                {
                    "number": 2,
                    "started_at": "2026-01-06T16:00:34.020000Z",
                    "duration_ms": 41,
                    "outcome": "delivered",
                    "http_status": 200,
                    "error": "",
                },
            ],
        },
        {
            "channel": "email",
            "outcome": "delivered",
            "attempts": 1,
            "last_attempt_at": "2026-01-06T16:00:03.590000Z",
            "last_error": "",
            "attempt_log": [
                {
                    "number": 1,
                    "started_at": "2026-01-06T16:00:03.590000Z",
                    "duration_ms": 12,
                    "outcome": "delivered",
                    "http_status": None,
                    "error": "",
                }
            ],
        },
    ],
}


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "A firing whose webhook got through at the second attempt",
            value=FIRING_EXAMPLE,
            response_only=True,
        )
    ]
)
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
