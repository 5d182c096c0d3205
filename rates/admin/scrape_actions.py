"""The "scrape now" admin actions of sources and currencies: one queued run per selected row,
and the admin sent to the run (or, for several, to the list of them)."""

from django.contrib import admin
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse

from rates.runs.scraping import Scope
from rates.runs.services import run_queue
from rates.runs.targets import ScrapeRefused, scrape_target_clean

SCRAPE_PERMISSION = "rates.view_scraperun"  # who may see runs may start them


def may_scrape(request: HttpRequest) -> bool:
    return request.user.has_perm(SCRAPE_PERMISSION)


class ScrapePermission:
    """For admins with a "scrape now" action (`permissions=["scrape"]`)."""

    def has_scrape_permission(self, request: HttpRequest) -> bool:
        return may_scrape(request)


def queue_runs(
    model_admin: admin.ModelAdmin, request: HttpRequest, scope: Scope, targets: list[str]
) -> HttpResponseRedirect | None:
    """Queue a run of each target; targets refused are reported with the reason. None (stay on
    the list) when no run was queued."""
    runs = []
    for target in targets:
        try:
            cleaned = scrape_target_clean(scope=scope, target=target)
        except ScrapeRefused as refusal:
            model_admin.message_user(request, f"Not scraped: {refusal}", "warning")
            continue
        runs.append(run_queue(scope=scope, target=cleaned, trigger="admin"))
    if not runs:
        return None
    ids = ",".join(str(run.id) for run in runs)
    model_admin.message_user(request, f"Queued {len(runs)} scrape run(s): {ids}.")
    if len(runs) == 1:
        return HttpResponseRedirect(reverse("admin:rates_scraperun_change", args=[runs[0].id]))
    return HttpResponseRedirect(reverse("admin:rates_scraperun_changelist") + f"?id__in={ids}")
