"""/metrics in Prometheus's text format, and the middleware counting requests.

Two kinds of figures, so that granian's several web workers and the Celery workers agree:

- Requests (count, latency) are counted where they happen, by prometheus-client, in a WSGI
  middleware around everything (koel/wsgi.py). With
  PROMETHEUS_MULTIPROC_DIR set (`make run` and the image set it) each web worker writes its
  figures to files there and /metrics adds them up (prometheus-client's multiprocess mode);
  without it they are this process's own.
- Everything else is read at scrape time from where it is already kept: rates stored (a Redis
  counter the write path adds to, rates.counters), attempts and latency per source (Source's
  counters), scrape runs by status, freshness per group, the quarantine's size; and the
  figures of apps built on rates, whose collectors `collector_register` adds (rates imports no
  app: each registers its own from its AppConfig.ready, e.g. alerts.metrics).

Off unless KOEL_METRICS_TOKEN is set; then a scraper sends `Authorization: Bearer <token>`.
"""

import hmac
import os
import time
from collections.abc import Callable, Iterable

from django.conf import settings
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, SummaryMetricFamily

from rates.counters import counter_read
from rates.models import ScrapeRun, Source
from rates.runs.overview import group_freshness, quarantine_held_count

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
REQUESTS = CollectorRegistry()
REQUEST_COUNT = Counter(
    "koel_http_requests", "HTTP requests answered.", ["method", "status"], registry=REQUESTS
)
REQUEST_LATENCY = Histogram(
    "koel_http_request_duration_seconds",
    "Time from the request reaching the WSGI application to its answer.",
    ["method"],
    registry=REQUESTS,
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)


# Collectors of other apps, read at scrape time beside StoredCollector (collector_register).
APP_COLLECTORS: list = []


def collector_register(collector) -> None:
    """Add an app's collector (an object with `collect()` yielding metric families) to /metrics;
    registering the same collector twice (ready() run again in tests) adds it once."""
    if collector not in APP_COLLECTORS:
        APP_COLLECTORS.append(collector)


class RequestMetricsApp:
    """WSGI middleware, the outermost (koel/wsgi.py), so that answers replayed before Django
    (rates.http.replay) are counted too. Latency runs until the answer's body is handed over."""

    def __init__(self, app: Callable) -> None:
        self.app = app

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        started, seen = time.perf_counter(), {}

        def observe(status: str, headers: list, exc_info=None):
            seen["status"] = status.partition(" ")[0]
            return start_response(status, headers, exc_info)

        try:
            return self.app(environ, observe)
        finally:
            method = environ.get("REQUEST_METHOD", "")
            method = method if method in METHODS else "other"  # bounded label values
            REQUEST_LATENCY.labels(method).observe(time.perf_counter() - started)
            REQUEST_COUNT.labels(method, seen.get("status", "500")).inc()


class StoredCollector:
    """The figures read at scrape time from the database and Redis."""

    def collect(self):
        yield self._rates_stored()
        yield from self._sources()
        yield self._runs()
        yield from self._freshness()
        quarantine = GaugeMetricFamily("koel_quarantine_held", "Rates the quarantine holds.")
        quarantine.add_metric([], quarantine_held_count())
        yield quarantine

    def _rates_stored(self):
        family = CounterMetricFamily(
            "koel_rates_stored", "Rates inserted or changed, per source.", labels=["source"]
        )
        for source, count in sorted(counter_read("rates_stored").items()):
            family.add_metric([source], count)
        return family

    def _sources(self):
        scrapes = CounterMetricFamily(
            "koel_source_scrapes", "Attempts per source and outcome.", labels=["source", "outcome"]
        )
        latency = SummaryMetricFamily(
            "koel_source_latency_seconds", "Seconds per source attempt.", labels=["source"]
        )
        for code, attempts, successes, seconds in Source.objects.order_by("code").values_list(
            "code", "attempts", "successes", "total_latency"
        ):
            scrapes.add_metric([code, "succeeded"], successes)
            scrapes.add_metric([code, "failed"], attempts - successes)
            latency.add_metric([code], count_value=attempts, sum_value=seconds)
        return scrapes, latency

    def _runs(self):
        family = CounterMetricFamily(
            "koel_scrape_runs", "Finished and running scrape runs by status.", labels=["status"]
        )
        counted = ScrapeRun.objects.values_list("status").annotate(n=Count("id")).order_by()
        for status, count in sorted(counted):
            family.add_metric([status], count)
        return family

    def _freshness(self):
        age = GaugeMetricFamily(
            "koel_group_freshness_age_seconds",
            "Age of each currency group's newest rate.",
            labels=["group"],
        )
        stale = GaugeMetricFamily(
            "koel_group_stale", "1 when a group is stale against its schedule.", labels=["group"]
        )
        for group in group_freshness():
            if group.age is not None:
                age.add_metric([group.rates.group], group.age.total_seconds())
            stale.add_metric([group.rates.group], int(group.state in ("stale", "no rates")))
        return age, stale


def metrics(request: HttpRequest) -> HttpResponse:
    token = settings.KOEL_METRICS_TOKEN
    if not token:
        raise Http404("Metrics are off (set KOEL_METRICS_TOKEN).")
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip(), token):
        response = HttpResponse("A bearer token is required.\n", status=401)
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    stored = CollectorRegistry()
    stored.register(StoredCollector())
    for collector in APP_COLLECTORS:
        stored.register(collector)
    body = generate_latest(_request_registry()) + generate_latest(stored)
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)


def _request_registry() -> CollectorRegistry:
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return REQUESTS
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    return registry
