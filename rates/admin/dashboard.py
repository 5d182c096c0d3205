"""The admin dashboard (freshness, sources, runs, rates per day, quarantine) and "scrape now",
which queues a run and sends the admin to its page. Thin: the reads are rates.runs.overview's."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_POST

from rates.models import Currency
from rates.runs import overview
from rates.runs.services import run_queue

from .charts import per_day_chart
from .forms import ScrapeForm
from .scrape_actions import may_scrape

CHART_DAYS = 30
RECENT_RUNS = 10


def dashboard(request: HttpRequest, form: ScrapeForm | None = None) -> TemplateResponse:
    context = {
        **admin.site.each_context(request),
        "title": "Dashboard",
        "groups": overview.group_freshness(),
        "sources": overview.source_health(),
        "runs": overview.runs_recent(limit=RECENT_RUNS),
        "held": overview.quarantine_held_count(),
        "chart": per_day_chart(overview.rates_per_day_recent(days=CHART_DAYS)),
        "chart_days": CHART_DAYS,
        "bases": Currency.objects.filter(active=True).values_list("code", "name"),
        "form": form,
        "may_scrape": may_scrape(request),
    }
    return TemplateResponse(request, "admin/koel/dashboard.html", context)


@require_POST
def scrape_now(request: HttpRequest) -> HttpResponse:
    """Queue a run of the posted scope and target; back to the dashboard with the reason when
    it would scrape nothing."""
    if not may_scrape(request):
        raise PermissionDenied("Starting a scrape needs the permission to view scrape runs.")
    form = ScrapeForm(request.POST)
    if not form.is_valid():
        return dashboard(request, form=form)
    run = run_queue(
        scope=form.cleaned_data["scope"], target=form.cleaned_data["target"], trigger="admin"
    )
    messages.success(request, f"Scrape of {run.scope} {run.target} queued as run {run.id}.")
    return HttpResponseRedirect(run_url(run.id))


def run_url(run_id: int) -> str:
    return reverse("admin:rates_scraperun_change", args=[run_id])
