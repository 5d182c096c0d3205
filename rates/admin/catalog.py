"""Currencies and sources: editable; a source can be scraped now or have its circuit reset."""

from django.contrib import admin
from django.db import models

from rates.models import Currency, Source
from rates.runs.health import circuit_state, source_availability
from rates.runs.scraping import Scope, scrape_enqueue


@admin.register(Currency)
class CurrencyAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "icon",
        "name",
        "symbol",
        "symbol_native",
        "decimal_digits",
        "group",
        "active",
        "admin_edited",
    ]
    list_filter = ["group", "active", "admin_edited"]
    search_fields = ["code", "name"]
    list_editable = ["group", "active"]

    def save_model(self, request, obj, form, change) -> None:
        # Marks the row so `bootstrap` (currencies_load) never overwrites what an admin chose.
        obj.admin_edited = True
        super().save_model(request, obj, form, change)

    def save_form(self, request, form, change):
        obj = super().save_form(request, form, change)
        obj.admin_edited = True  # list_editable saves go through here, not save_model's form
        return obj


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "name",
        "kind",
        "priority",
        "enabled",
        "verified",
        "circuit",
        "last_success_at",
        "consecutive_failures",
        "success_rate_display",
        "mean_latency_display",
    ]
    list_filter = ["kind", "enabled", "verified"]
    list_editable = ["priority", "enabled"]
    search_fields = ["code", "name"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}  # Django 6's default
    readonly_fields = [
        "verified",
        "note",
        "bases",
        "api_key_setting",
        "last_success_at",
        "last_failure_at",
        "last_error",
        "consecutive_failures",
        "attempts",
        "successes",
        "total_latency",
        "circuit_open_until",
    ]
    actions = ["scrape_now", "reset_circuit"]

    @admin.display(description="circuit")
    def circuit(self, obj: Source) -> str:
        return str(circuit_state(obj))

    @admin.display(description="success rate")
    def success_rate_display(self, obj: Source) -> str:
        rate = obj.success_rate
        return "—" if rate is None else f"{rate:.0%}"

    @admin.display(description="mean latency")
    def mean_latency_display(self, obj: Source) -> str:
        latency = obj.mean_latency
        return "—" if latency is None else f"{latency:.1f} s"

    @admin.action(
        description="Scrape now (queue a run of each selected source)", permissions=["change"]
    )
    def scrape_now(self, request, queryset) -> None:
        for source in queryset:
            availability = source_availability(source)
            if not availability.usable:
                reason = availability.reason
                self.message_user(
                    request, f"Source {source.code}: not scraped ({reason}).", "warning"
                )
                continue
            scrape_enqueue(scope=Scope.SOURCE, target=source.code, trigger="admin")
            self.message_user(request, f"Source {source.code}: scrape queued; see Scrape runs.")

    @admin.action(description="Reset the circuit breaker", permissions=["change"])
    def reset_circuit(self, request, queryset) -> None:
        count = queryset.update(consecutive_failures=0, circuit_open_until=None)
        self.message_user(request, f"{count} circuit(s) closed.")
