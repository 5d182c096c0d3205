"""Alert rules, their firings (the alert history, and the in-app channel), each firing's
delivery per channel, data webhooks and their deliveries, and every attempt of a delivery."""

import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, URLValidator
from django.db import models

from alerts.targets import public_target
from alerts.validation import currencies_error, rule_errors


def new_secret() -> str:
    return secrets.token_urlsafe(32)


class Condition(models.TextChoices):
    ABOVE = "above", "rate above the threshold"
    BELOW = "below", "rate below the threshold"
    CHANGE_PCT = "change_pct", "change of at least threshold % over the window"


class Channel(models.TextChoices):
    EMAIL = "email", "email"
    WEBHOOK = "webhook", "webhook"
    SLACK = "slack", "Slack-compatible webhook"


CHANNEL_ORDER = (Channel.EMAIL.value, Channel.WEBHOOK.value, Channel.SLACK.value)


def channels_wanted(*, email: bool, webhook: bool, slack: bool) -> list[str]:
    """The channels a firing goes to, besides in-app, in delivery order."""
    # Plain strings: hashing the enum members costs more than the rest of this, per firing.
    wanted = (email, webhook, slack)
    return [channel for channel, on in zip(CHANNEL_ORDER, wanted, strict=True) if on]


MAX_WINDOW_HOURS = 24 * 31

# Deliveries POST over HTTP(S) only (URLField alone also admits ftp://), and never to the
# server's own network (alerts.targets) unless KOEL_WEBHOOKS_ALLOW_PRIVATE says so.
WEB_URL = URLValidator(schemes=["http", "https"])
TARGET_URL = [WEB_URL, public_target]


class AlertRule(models.Model):
    """Watch one pair (1 base = rate target, any pair Koel can quote) for a condition.

    `armed` is False from a firing until the rate moved back past the threshold by `hysteresis`
    (in the threshold's unit: the rate, or percentage points for change_pct)."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="alert_rules"
    )
    name = models.CharField(max_length=100, blank=True)
    base = models.CharField(max_length=3)
    target = models.CharField(max_length=3)
    condition = models.CharField(max_length=16, choices=Condition.choices)
    threshold = models.DecimalField(max_digits=28, decimal_places=12)
    window_hours = models.PositiveIntegerField(
        default=24,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_WINDOW_HOURS)],
        help_text="change_pct only: the change is measured against the rate in force this "
        "many hours before the newest observation.",
    )
    hysteresis = models.DecimalField(max_digits=28, decimal_places=12, default=0)
    cooldown = models.DurationField(default=timedelta(hours=1))
    active = models.BooleanField(default=True)
    armed = models.BooleanField(default=True)
    last_fired_at = models.DateTimeField(null=True, blank=True)
    notify_email = models.BooleanField(default=True)
    webhook_url = models.URLField(blank=True, validators=TARGET_URL)
    webhook_secret = models.CharField(max_length=64, default=new_secret)
    slack_url = models.URLField(blank=True, validators=TARGET_URL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(threshold__gt=0), name="alert_threshold_gt_0"
            ),
            models.CheckConstraint(
                condition=models.Q(hysteresis__gte=0), name="alert_hysteresis_gte_0"
            ),
        ]
        indexes = [
            models.Index(
                fields=["base"], condition=models.Q(active=True), name="alert_active_base"
            ),
            models.Index(
                fields=["target"], condition=models.Q(active=True), name="alert_active_target"
            ),
        ]

    def __str__(self) -> str:
        return self.name or f"{self.base}/{self.target} {self.condition} {self.threshold}"

    def clean(self) -> None:
        self.base, self.target = self.base.upper(), self.target.upper()
        if errors := rule_errors(self):
            raise ValidationError(errors)

    def channels(self) -> list[str]:
        """The channels a firing is delivered to, besides in-app (the firing itself)."""
        return channels_wanted(
            email=self.notify_email, webhook=bool(self.webhook_url), slack=bool(self.slack_url)
        )


# What a user sets on a rule, in the order the page's form and the REST answers show it.
RULE_INPUT_FIELDS = [
    "name",
    "base",
    "target",
    "condition",
    "threshold",
    "window_hours",
    "hysteresis",
    "cooldown",
    "active",
    "notify_email",
    "webhook_url",
    "slack_url",
]


class AlertFiring(models.Model):
    """One time a rule fired: the rate that triggered it and the observation it came from."""

    rule = models.ForeignKey(AlertRule, on_delete=models.CASCADE, related_name="firings")
    rate = models.DecimalField(max_digits=28, decimal_places=12)
    reference_rate = models.DecimalField(
        max_digits=28,
        decimal_places=12,
        null=True,
        blank=True,
        help_text="change_pct: the rate in force at the window's start.",
    )
    observed_at = models.DateTimeField()
    source = models.CharField(max_length=200)  # the sources behind the rate, comma-separated
    fired_at = models.DateTimeField()
    is_test = models.BooleanField(default=False)

    class Meta:
        ordering = ["-fired_at", "-id"]
        indexes = [models.Index(fields=["rule", "-fired_at"])]

    def __str__(self) -> str:
        return f"{self.rule} at {self.rate} ({self.fired_at:%Y-%m-%d %H:%M})"


class Outcome(models.TextChoices):
    PENDING = "pending", "pending"
    DELIVERED = "delivered", "delivered"
    FAILED = "failed", "failed"


class Delivery(models.Model):
    """A firing sent over one channel. Every attempt is a DeliveryAttempt row; `attempts`,
    `last_error` and `last_attempt_at` repeat the newest one's, written with it."""

    firing = models.ForeignKey(AlertFiring, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField(max_length=16, choices=Channel.choices)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, default=Outcome.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["firing", "channel"], name="delivery_one_per_channel")
        ]

    def __str__(self) -> str:
        return f"{self.channel}: {self.outcome}"


class DataSubscription(models.Model):
    """A data webhook: one signed POST per ingest listing the new rates of pairs that involve
    any of `currencies` (docs/alerts.md, "Data webhooks")."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="data_subscriptions"
    )
    currencies = ArrayField(models.CharField(max_length=3), help_text="ISO codes, e.g. EUR,USD")
    url = models.URLField(validators=TARGET_URL)
    secret = models.CharField(max_length=64, default=new_secret)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [GinIndex(fields=["currencies"], name="datasub_currencies")]

    def __str__(self) -> str:
        return f"{','.join(self.currencies)} → {self.url}"

    def clean(self) -> None:
        self.currencies = sorted({code.upper() for code in self.currencies or []})
        if error := currencies_error(self.currencies):
            raise ValidationError({"currencies": error})


class DataDelivery(models.Model):
    """One ingest's batch for one subscription. The body is kept, so every retry sends the same
    rates. Every attempt is a DataDeliveryAttempt row, summed up here as on Delivery."""

    subscription = models.ForeignKey(
        DataSubscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    payload = models.JSONField()
    outcome = models.CharField(max_length=16, choices=Outcome.choices, default=Outcome.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "data deliveries"

    def __str__(self) -> str:
        return f"{self.subscription_id}: {self.outcome}"


class AttemptOutcome(models.TextChoices):
    DELIVERED = "delivered", "delivered"
    FAILED = "failed", "failed"


class Attempt(models.Model):
    """One try at sending a delivery: when, how long, and what came of it (the HTTP status of a
    webhook's answer, when there was one, and the error)."""

    number = models.PositiveSmallIntegerField()  # 1 for the first try
    started_at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField()
    outcome = models.CharField(max_length=16, choices=AttemptOutcome.choices)
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        abstract = True
        ordering = ["number"]

    def __str__(self) -> str:
        return f"attempt {self.number}: {self.outcome}"


class DeliveryAttempt(Attempt):
    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")

    class Meta(Attempt.Meta):
        constraints = [
            models.UniqueConstraint(fields=["delivery", "number"], name="delivery_attempt_once")
        ]


class DataDeliveryAttempt(Attempt):
    delivery = models.ForeignKey(DataDelivery, on_delete=models.CASCADE, related_name="attempt_log")

    class Meta(Attempt.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["delivery", "number"], name="data_delivery_attempt_once"
            )
        ]
