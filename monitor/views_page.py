"""/monitor/: the live pairs as cards, their last hour or day charted, their volatility, the
rates table (live pairs and their cross rates) and the signed-in user's own alert firings —
rendered on the server from the same snapshot /api/v1/monitor/live/ answers, then kept current
by static/monitor/monitor.js from the push stream (or by polling that snapshot).

What an anonymous reader gets is the same for everyone: it is cached like the other pages'
(rates.http.caching, keyed on the versions of the live currencies, so a tick's write is never
hidden) for LIVE_SECONDS at most, since the feed's state is judged when it is rendered, and
replayed in front of Django until then. A signed-in reader's page names their firings: rendered
for them alone. Browsers keep neither (no-cache): a reload shows the live state."""

from datetime import datetime

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache

from monitor import live
from monitor.firings import firing_summary
from monitor.series import DEFAULT_SPAN, SPANS, live_series
from monitor.stream.address import stream_origin, stream_url
from rates.http.caching import Answer, cached_answer
from rates.reads import pivots

VOLATILITY_URL = "/api/v1/analytics/volatility/"
VOLATILITY_WINDOWS = ("24h", "7d", "30d")
HTML = "text/html; charset=utf-8"
# A tick every 30 s by default: a cached page or series is at most this old, writes aside.
LIVE_SECONDS = 5


@never_cache
def monitor_page(request: HttpRequest) -> HttpResponse:
    response = _monitor_page(request)
    # The stream has its own server (another port, or KOEL_STREAM_URL): the page's CSP lets its
    # EventSource connect there, as well as to its own origin.
    response._csp_update = {"connect-src": [stream_origin(request)]}
    return response


def _monitor_page(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return HttpResponse(_page(request), content_type=HTML)

    def build() -> Answer:
        return Answer(200, _page(request), content_type=HTML, max_seconds=LIVE_SECONDS)

    # The stream's URL is built from the request's host.
    return cached_answer(request, build, depends_on=_live_codes(), vary=(request.get_host(),))


@never_cache
def monitor_series(request: HttpRequest) -> HttpResponse:
    """The chart's points over ?span=hour|day (the page asks on a toggle)."""
    span = request.GET.get("span", DEFAULT_SPAN)
    if span not in SPANS:
        message = f"span must be one of {', '.join(SPANS)}."
        error = {"code": "invalid", "message": message, "field": "span"}
        return JsonResponse({"error": error}, status=400)

    def build() -> Answer:
        return Answer(200, live_series(live.live_pairs(), span), max_seconds=LIVE_SECONDS)

    return cached_answer(request, build, depends_on=_live_codes())


@never_cache
def monitor_alerts(request: HttpRequest) -> JsonResponse:
    """The page's firings panel as data: {"signed_in": false} for an anonymous reader."""
    summary = firing_summary(request.user)
    return JsonResponse({"signed_in": summary is not None, **(summary or {})})


def _live_codes() -> set[str]:
    # A live pair no source quotes directly is answered through a pivot: its rows count too.
    return {*live.live_currencies(), *pivots()}


def _page(request: HttpRequest) -> bytes:
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
    return render_to_string("monitor/page.html", context, request=request).encode()


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
