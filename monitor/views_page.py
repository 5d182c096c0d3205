"""/monitor/: the live pairs as cards, their last day charted, their volatility, the rates
table (live pairs and their cross rates) and the signed-in user's own alert firings — rendered
on the server from the same snapshot /api/v1/monitor/live/ answers, then kept current by
static/monitor/monitor.js from the push stream (or by polling that snapshot).

Never cached: the live rates change every tick and the firings are the reader's own."""

from datetime import datetime

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache

from monitor import live
from monitor.firings import firing_summary
from monitor.series import DEFAULT_SPAN, SPANS, live_series
from monitor.stream.address import stream_url

VOLATILITY_URL = "/api/v1/analytics/volatility/"
VOLATILITY_WINDOWS = ("24h", "7d", "30d")


@never_cache
def monitor_page(request: HttpRequest) -> HttpResponse:
    snapshot = live.live_snapshot()
    now = timezone.now()
    pairs = [_shown(row, now) for row in snapshot["pairs"]]
    # The crosses are every pair among the live currencies, the live pairs' own too: those
    # are shown once, quoted.
    live_names = {row["pair"] for row in pairs}
    crosses = [_shown(row, now) for row in snapshot["crosses"] if row["pair"] not in live_names]
    context = {
        "feed": snapshot["feed"],
        "cards": pairs,
        "table": pairs + crosses,
        "series": live_series(live.live_pairs(), DEFAULT_SPAN),
        "firings": firing_summary(request.user),
        "urls": {
            "poll": reverse("monitor_live:live"),
            "alerts": reverse("monitor-alerts"),
            "series": reverse("monitor-series"),
            "volatility": VOLATILITY_URL,
            "stream": stream_url(request),
        },
        "poll_seconds": settings.KOEL_MONITOR_POLL_SECONDS,
        "windows": VOLATILITY_WINDOWS,
    }
    return render(request, "monitor/page.html", context)


@never_cache
def monitor_series(request: HttpRequest) -> JsonResponse:
    """The chart's points over ?span=hour|day (the page asks on a toggle)."""
    span = request.GET.get("span", DEFAULT_SPAN)
    if span not in SPANS:
        message = f"span must be one of {', '.join(SPANS)}."
        return JsonResponse(
            {"error": {"code": "invalid", "message": message, "field": "span"}}, status=400
        )
    return JsonResponse(live_series(live.live_pairs(), span))


@never_cache
def monitor_alerts(request: HttpRequest) -> JsonResponse:
    """The page's firings panel as data: {"signed_in": false} for an anonymous reader."""
    summary = firing_summary(request.user)
    return JsonResponse({"signed_in": summary is not None, **(summary or {})})


def _shown(row: dict, now: datetime) -> dict:
    """A snapshot row with what the page prints beside it: the change's sign and the age."""
    observed = datetime.fromisoformat(row["observed_at"]) if row["observed_at"] else None
    change = row["change_pct"]
    direction = "flat"
    if change is not None and float(change) != 0:
        direction = "up" if float(change) > 0 else "down"
    return {
        **row,
        "direction": direction,
        "change_text": None if change is None else f"{float(change):+.2f} %",
        "age_seconds": None if observed is None else max(0, int((now - observed).total_seconds())),
        "observed_epoch": None if observed is None else observed.timestamp(),
    }
