"""Stored rates and the latest-rates read model: read-only, listed without scanning every
partition."""

from datetime import UTC, datetime, timedelta

from django.contrib import admin
from django.core.paginator import Paginator
from django.utils.functional import cached_property
from django.utils.html import format_html, format_html_join

from rates.models import ExchangeRateRecord, LatestRates
from rates.table import MONTH, month_start

from .readonly import ReadOnlyAdmin


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
