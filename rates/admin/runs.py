"""Scrape runs (read-only, with their attempts) and the quarantine (approve or reject)."""

from django.contrib import admin
from django.utils.html import format_html, format_html_join

from rates.ingest.acceptance import quarantine_approve, quarantine_reject
from rates.models import QuarantinedRate, QuarantineStatus, RunStatus, ScrapeRun

from .readonly import ReadOnlyAdmin

REFRESH_SECONDS = 3  # how often the page of a live run looks again


@admin.register(ScrapeRun)
class ScrapeRunAdmin(ReadOnlyAdmin):
    # While a run is queued or running its page follows it (static/rates/admin/run_progress.js
    # polls /api/v1/runs/<id>/; without JavaScript the page reloads itself).
    change_form_template = "admin/rates/scraperun/change_form.html"
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
        return obj.status if obj.duration is None else f"{obj.duration:.1f} s"

    def render_change_form(self, request, context, *args, obj=None, **kwargs):
        live = obj is not None and obj.status in (RunStatus.QUEUED, RunStatus.RUNNING)
        context.update(run=obj, live=live, refresh_seconds=REFRESH_SECONDS)
        return super().render_change_form(request, context, *args, obj=obj, **kwargs)

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
