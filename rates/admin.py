"""Back office: currencies and sources are editable; rates are read-only (scrapers write them)."""

from datetime import UTC, datetime, timedelta

from django.contrib import admin
from django.core.paginator import Paginator
from django.db import models
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import format_html, format_html_join

from rates.ingest.acceptance import quarantine_approve, quarantine_reject
from rates.models import (
    ApiKey,
    Currency,
    ExchangeRateRecord,
    LatestRates,
    QuarantinedRate,
    QuarantineStatus,
    ScrapeRun,
    Source,
)
from rates.runs.health import circuit_state, source_availability
from rates.runs.scraping import Scope, scrape_enqueue
from rates.table import MONTH, month_start


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


class CappedCountPaginator(Paginator):
    """Counts at most CAP rows: an exact count over millions of rates is slow and pointless."""

    CAP = 10_000

    @cached_property
    def count(self) -> int:
        return self.object_list[: self.CAP].count()


class ObservedFilter(admin.SimpleListFilter):
    """Bounds every listing to a time window, so only the matching partitions are read."""

    title = "observed"
    parameter_name = "observed"
    RECENT = "7d"
    MONTHS_LISTED = 24

    def lookups(self, request, model_admin):
        current = month_start(datetime.now(UTC))
        months = [current - i * MONTH for i in range(self.MONTHS_LISTED)]
        return [(self.RECENT, "Last 7 days")] + [
            (m.strftime("%Y-%m"), m.strftime("%b %Y")) for m in months
        ]

    def choices(self, changelist):
        # No "All" choice: an unbounded listing would sort every partition.
        for choice in list(super().choices(changelist))[1:]:
            if self.value() is None and choice["display"] == "Last 7 days":
                choice["selected"] = True
            yield choice

    def queryset(self, request, queryset):
        value = self.value() or self.RECENT
        if value == self.RECENT:
            return queryset.filter(observed_at__gte=datetime.now(UTC) - timedelta(days=7))
        try:
            start = datetime.strptime(value, "%Y-%m").replace(tzinfo=UTC)
        except ValueError:
            return queryset.none()
        return queryset.filter(observed_at__gte=start, observed_at__lt=start + MONTH)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ExchangeRateRecord)
class ExchangeRateRecordAdmin(ReadOnlyAdmin):
    list_display = ["observed_at", "base", "target", "rate", "source", "derived"]
    list_display_links = None
    list_filter = [ObservedFilter, "source", "derived", "base"]
    search_fields = ["=base__code", "=target__code"]
    paginator = CappedCountPaginator
    show_full_result_count = False
    list_per_page = 100

    def get_object(self, request, object_id, from_field=None):
        # observed_at is only a stand-in primary key (many rates share an instant): there is no
        # single row to open, so the admin answers "does not exist" instead of guessing.
        return None


@admin.register(LatestRates)
class LatestRatesAdmin(ReadOnlyAdmin):
    list_display = ["base", "source", "newest", "target_count"]
    list_filter = ["source"]
    search_fields = ["=base__code"]
    fields = ["base", "source", "newest", "quotes_table"]
    readonly_fields = fields

    @admin.display(description="targets")
    def target_count(self, obj: LatestRates) -> int:
        return len(obj.quote_map)

    @admin.display(description="quotes")
    def quotes_table(self, obj: LatestRates) -> str:
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (target, rate, observed_at, "derived" if derived else "quoted")
                for target, (rate, observed_at, derived) in sorted(obj.quote_map.items())
            ),
        )
        return format_html(
            "<table><tr><th>target</th><th>rate</th><th>observed at</th><th></th></tr>{}</table>",
            rows,
        )


@admin.register(ScrapeRun)
class ScrapeRunAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "scope",
        "target",
        "trigger",
        "status",
        "started_at",
        "duration_display",
        "progress",
        "rates_stored",
        "rates_derived",
        "rates_quarantined",
    ]
    list_filter = ["status", "scope", "trigger"]
    search_fields = ["target"]
    fields = [
        "scope",
        "target",
        "trigger",
        "status",
        "started_at",
        "finished_at",
        "progress",
        "rates_stored",
        "rates_derived",
        "rates_quarantined",
        "attempts_table",
        "errors",
        "task_id",
    ]
    readonly_fields = fields

    @admin.display(description="bases done")
    def progress(self, obj: ScrapeRun) -> str:
        return f"{obj.bases_done}/{obj.bases_total}"

    @admin.display(description="duration")
    def duration_display(self, obj: ScrapeRun) -> str:
        return "running" if obj.duration is None else f"{obj.duration:.1f} s"

    @admin.display(description="attempts")
    def attempts_table(self, obj: ScrapeRun) -> str:
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    a.get("source"),
                    ", ".join(a.get("bases", [])),
                    a.get("outcome"),
                    a.get("written", 0),
                    a.get("seconds", ""),
                    a.get("error") or a.get("reason", ""),
                )
                for a in obj.attempts
            ),
        )
        return format_html(
            "<table><tr><th>source</th><th>bases</th><th>outcome</th><th>written</th>"
            "<th>seconds</th><th>error</th></tr>{}</table>",
            rows,
        )


@admin.register(QuarantinedRate)
class QuarantinedRateAdmin(ReadOnlyAdmin):
    list_display = [
        "base",
        "target",
        "source",
        "rate",
        "reference_rate",
        "observed_at",
        "status",
        "reason",
        "resolved_by",
    ]
    list_filter = ["status", "source"]
    search_fields = ["=base__code", "=target__code"]
    actions = ["approve", "reject"]

    @admin.action(description="Approve: publish the selected held rates", permissions=["resolve"])
    def approve(self, request, queryset) -> None:
        ids = queryset.filter(status=QuarantineStatus.HELD).values_list("id", flat=True)
        written = quarantine_approve(ids, by=request.user.get_username())
        self.message_user(request, f"Published; {written} rate(s) written.")

    @admin.action(
        description="Reject: never publish the selected held rates", permissions=["resolve"]
    )
    def reject(self, request, queryset) -> None:
        count = quarantine_reject(
            queryset.values_list("id", flat=True), by=request.user.get_username()
        )
        self.message_user(request, f"{count} rate(s) rejected.")

    def has_resolve_permission(self, request) -> bool:
        # Rows stay read-only in forms; deciding a held rate is this permission's one use.
        return request.user.has_perm("rates.change_quarantinedrate")


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    """Issue keys (shown once, stored hashed) and revoke them (set `revoked at`)."""

    list_display = ["name", "prefix", "created_at", "last_used_at", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "prefix"]
    readonly_fields = ["prefix", "created_at", "last_used_at"]
    actions = ["revoke"]

    def save_model(self, request, obj, form, change) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        raw = obj.set_new_key()
        super().save_model(request, obj, form, change)
        self.message_user(
            request,
            f"API key for {obj.name}: {raw} — copy it now: only its hash is stored.",
            "warning",
        )

    @admin.action(description="Revoke the selected keys", permissions=["change"])
    def revoke(self, request, queryset) -> None:
        count = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        self.message_user(request, f"{count} key(s) revoked.")
