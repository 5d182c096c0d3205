"""Currencies and sources: editable; a currency (as a base) or a source can be scraped now, a
currency turned on or off, a source's circuit reset."""

from django.contrib import admin
from django.db import models

from rates.currency_data import PRECIOUS_METALS
from rates.ingest.loading import currencies_set_active
from rates.models import Currency, Source
from rates.reads import codes_with_rates
from rates.runs.health import circuit_state
from rates.runs.scraping import Scope

from .scrape_actions import ScrapePermission, queue_runs


class HasRatesFilter(admin.SimpleListFilter):
    """Whether Koel holds any rate of the currency, as base or target (latest rates only: no
    scan of the rate table)."""

    title = "has rates"
    parameter_name = "has_rates"

    def lookups(self, request, model_admin):
        return [("yes", "Yes"), ("no", "No")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(code__in=codes_with_rates())
        if self.value() == "no":
            return queryset.exclude(code__in=codes_with_rates())
        return queryset


class KindFilter(admin.SimpleListFilter):
    title = "kind"
    parameter_name = "kind"

    def lookups(self, request, model_admin):
        return [("metal", "Precious metals (XAU, XAG, XPT, XPD)")]

    def queryset(self, request, queryset):
        if self.value() == "metal":
            return queryset.filter(code__in=PRECIOUS_METALS)
        return queryset


@admin.register(Currency)
class CurrencyAdmin(ScrapePermission, admin.ModelAdmin):
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
    list_filter = ["group", "active", HasRatesFilter, KindFilter, "admin_edited"]
    search_fields = ["code", "name"]
    list_editable = ["group", "active"]
    actions = ["turn_on", "turn_off", "scrape_now"]

    def save_model(self, request, obj, form, change) -> None:
        # Marks the row so `bootstrap` (currencies_load) never overwrites what an admin chose.
        obj.admin_edited = True
        super().save_model(request, obj, form, change)

    def save_form(self, request, form, change):
        obj = super().save_form(request, form, change)
        obj.admin_edited = True  # list_editable saves go through here, not save_model's form
        return obj

    @admin.action(description="Turn on: scrape and offer the selected", permissions=["change"])
    def turn_on(self, request, queryset) -> None:
        count = currencies_set_active(codes=queryset.values_list("code", flat=True), active=True)
        self.message_user(request, f"{count} currency(ies) turned on.")

    @admin.action(description="Turn off: stop scraping and offering", permissions=["change"])
    def turn_off(self, request, queryset) -> None:
        count = currencies_set_active(codes=queryset.values_list("code", flat=True), active=False)
        self.message_user(request, f"{count} currency(ies) turned off.")

    @admin.action(
        description="Scrape now (a run with each selected as the base)", permissions=["scrape"]
    )
    def scrape_now(self, request, queryset):
        return queue_runs(self, request, Scope.BASE, [c.code for c in queryset])


@admin.register(Source)
class SourceAdmin(ScrapePermission, admin.ModelAdmin):
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
        description="Scrape now (queue a run of each selected source)", permissions=["scrape"]
    )
    def scrape_now(self, request, queryset):
        return queue_runs(self, request, Scope.SOURCE, [s.code for s in queryset])

    @admin.action(description="Reset the circuit breaker", permissions=["change"])
    def reset_circuit(self, request, queryset) -> None:
        count = queryset.update(consecutive_failures=0, circuit_open_until=None)
        self.message_user(request, f"{count} circuit(s) closed.")
