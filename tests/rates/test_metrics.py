"""/metrics: off without a token, bearer-protected, and its figures move with what happens."""

import re

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import RequestFactory

from koel.wsgi import application
from rates.runs.health import source_attempt_record
from rates.runs.schedules import schedules_load

TOKEN = "s3cret-metrics-token"  # noqa: S105


@pytest.fixture
def scrape(client, settings, db):
    settings.KOEL_METRICS_TOKEN = TOKEN

    def get() -> str:
        response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/plain")
        return response.text

    return get


def value(text: str, sample: str) -> float:
    """The value of one sample line, e.g. value(text, 'koel_rates_stored_total{source="ecb"}')."""
    match = re.search(rf"^{re.escape(sample)} (\S+)$", text, re.M)
    return float(match.group(1)) if match else 0.0


def test_metrics_are_off_without_a_token(client, db):
    assert client.get("/metrics").status_code == 404


def test_metrics_refuse_a_missing_or_wrong_token(client, db, settings):
    settings.KOEL_METRICS_TOKEN = TOKEN

    assert client.get("/metrics").status_code == 401
    wrong = client.get("/metrics", HTTP_AUTHORIZATION="Bearer nope")
    assert wrong.status_code == 401
    assert wrong["WWW-Authenticate"].startswith("Bearer")


def test_rates_stored_move_after_an_ingest(scrape, store, django_capture_on_commit_callbacks):
    before = value(scrape(), 'koel_rates_stored_total{source="ecb"}')

    with django_capture_on_commit_callbacks(execute=True):
        store(
            "ecb",
            ("EUR", "USD", "1.08", "2026-12-01T16:00"),
            ("EUR", "JPY", "160", "2026-12-01T16:00"),
        )

    assert value(scrape(), 'koel_rates_stored_total{source="ecb"}') == before + 2


def test_a_rolled_back_write_is_not_counted(scrape, store, django_capture_on_commit_callbacks):
    before = value(scrape(), 'koel_rates_stored_total{source="ecb"}')

    with django_capture_on_commit_callbacks(execute=False):  # never committed
        store("ecb", ("EUR", "USD", "1.08", "2026-12-01T16:00"))

    assert value(scrape(), 'koel_rates_stored_total{source="ecb"}') == before


def test_scrapes_and_latency_move_after_a_failed_and_a_good_attempt(scrape, sources):
    source_attempt_record("alpha", ok=False, seconds=2.5, error="HTTP 503")
    source_attempt_record("alpha", ok=True, seconds=0.5)

    text = scrape()
    assert value(text, 'koel_source_scrapes_total{outcome="failed",source="alpha"}') == 1
    assert value(text, 'koel_source_scrapes_total{outcome="succeeded",source="alpha"}') == 1
    assert value(text, 'koel_source_latency_seconds_count{source="alpha"}') == 2
    assert value(text, 'koel_source_latency_seconds_sum{source="alpha"}') == 3.0


def test_freshness_and_quarantine_are_gauges(scrape, store):
    schedules_load()
    store("ecb", ("EUR", "USD", "1.08", "2020-01-02T16:00"))

    text = scrape()
    assert value(text, 'koel_group_freshness_age_seconds{group="primary"}') > 86400
    assert value(text, 'koel_group_stale{group="primary"}') == 1
    assert value(text, 'koel_group_stale{group="secondary"}') == 1  # no rates at all
    assert "koel_quarantine_held 0.0" in text


def wsgi_get(path: str) -> str:
    """GET `path` through the whole WSGI stack (koel.wsgi), as granian calls it; its status."""
    seen = {}
    environ = RequestFactory().get(path).environ
    # As Django's test client does: a finished request would close the test's transaction.
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    try:
        body = application(environ, lambda status, headers, exc_info=None: seen.update(s=status))
        b"".join(body)
        body.close()
    finally:
        for signal in (request_started, request_finished):
            signal.connect(close_old_connections)
    return seen["s"]


def test_requests_are_counted_through_the_wsgi_stack(scrape):
    before = value(scrape(), 'koel_http_requests_total{method="GET",status="404"}')
    assert wsgi_get("/no-such-page/").startswith("404")
    assert wsgi_get("/no-such-page/").startswith("404")

    text = scrape()
    assert value(text, 'koel_http_requests_total{method="GET",status="404"}') == before + 2
    assert value(text, 'koel_http_request_duration_seconds_count{method="GET"}') >= 2
