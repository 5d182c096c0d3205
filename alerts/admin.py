from django.contrib import admin, messages
from django.db import models

from alerts.models import (
    AlertFiring,
    AlertRule,
    DataDelivery,
    DataDeliveryAttempt,
    DataSubscription,
    Delivery,
    DeliveryAttempt,
)
from alerts.services import NoRateToSend, firing_test_send


@admin.register(AlertRule)
class AlertRuleAdmin(admin.ModelAdmin):
    list_display = ["__str__", "owner", "condition", "threshold", "active", "armed"]
    list_filter = ["active", "armed", "condition"]
    search_fields = ["name", "base", "target", "owner__username"]
    readonly_fields = ["armed", "last_fired_at", "created_at"]
    raw_id_fields = ["owner"]
    actions = ["send_test_notification"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    @admin.action(description="Send a test notification")
    def send_test_notification(self, request, queryset) -> None:
        for rule in queryset.select_related("owner"):
            try:
                firing_test_send(rule=rule)
            except NoRateToSend as exc:
                self.message_user(request, str(exc), messages.ERROR)
            else:
                self.message_user(request, f"Test notification queued for {rule}.")


class ReadOnlyInline(admin.TabularInline):
    """Rows the sending writes: shown, never added, changed or deleted here."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class AttemptInline(ReadOnlyInline):
    fields = ["number", "started_at", "duration_ms", "outcome", "http_status", "error"]


class DeliveryInline(ReadOnlyInline):
    model = Delivery
    fields = ["channel", "outcome", "attempts", "last_attempt_at", "last_error"]
    show_change_link = True  # the delivery's page lists every attempt


@admin.register(AlertFiring)
class AlertFiringAdmin(admin.ModelAdmin):
    list_display = ["rule", "rate", "observed_at", "source", "fired_at", "is_test"]
    list_filter = ["is_test", "fired_at"]
    list_select_related = ["rule"]
    readonly_fields = [f.name for f in AlertFiring._meta.fields]
    inlines = [DeliveryInline]

    def has_add_permission(self, request) -> bool:
        return False


class DeliveryAttemptInline(AttemptInline):
    model = DeliveryAttempt


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    list_display = ["firing", "channel", "outcome", "attempts", "last_attempt_at"]
    list_filter = ["channel", "outcome"]
    list_select_related = ["firing__rule"]
    inlines = [DeliveryAttemptInline]


class DataDeliveryInline(ReadOnlyInline):
    model = DataDelivery
    fields = ["created_at", "outcome", "attempts", "last_attempt_at", "last_error"]
    readonly_fields = ["created_at"]
    show_change_link = True


@admin.register(DataSubscription)
class DataSubscriptionAdmin(admin.ModelAdmin):
    list_display = ["__str__", "owner", "active", "created_at"]
    list_filter = ["active"]
    search_fields = ["url", "owner__username"]
    raw_id_fields = ["owner"]
    readonly_fields = ["created_at"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    inlines = [DataDeliveryInline]


class DataDeliveryAttemptInline(AttemptInline):
    model = DataDeliveryAttempt


@admin.register(DataDelivery)
class DataDeliveryAdmin(ReadOnlyAdmin):
    list_display = ["subscription", "created_at", "outcome", "attempts", "last_attempt_at"]
    list_filter = ["outcome"]
    list_select_related = ["subscription"]
    inlines = [DataDeliveryAttemptInline]
