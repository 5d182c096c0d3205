"""What the compat layers' schemathesis runs share: their configuration, the rows they read and
Koel's Django WSGI application, called in-process."""

import os

from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig

DETERMINISTIC = os.environ.get("KOEL_SCHEMATHESIS_RANDOM") != "1"  # set to 1 to explore

# The app and its rows are set up once per operation and only read by the requests.
read_only_fixtures = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])


def config(*, examples: int, expected_statuses: list[str]) -> SchemathesisConfig:
    """`examples` per operation; `expected_statuses`: what a schema-valid request may get."""
    return SchemathesisConfig.from_dict(
        {
            "generation": {"max-examples": examples, "deterministic": DETERMINISTIC},
            "checks": {"positive_data_acceptance": {"expected-statuses": expected_statuses}},
        }
    )


def store_days(store, *, ecb_days: dict[str, dict[str, str]], market: dict[str, str]) -> None:
    """ECB days ({day: {code: rate of 1 EUR}}, published at 15:00 UTC) and, for each other
    source in `market`, its USD → GBP rate (and USD → EUR 0.895) at 2026-10-30 12:00 UTC."""
    for day, rates in ecb_days.items():
        store("ecb", *[("EUR", code, rate, f"{day}T15:00") for code, rate in rates.items()])
    for source, rate in market.items():
        store(
            source,
            ("USD", "GBP", rate, "2026-10-30T12:00"),
            ("USD", "EUR", "0.895", "2026-10-30T12:00"),
        )


def in_process_app():
    """Django's WSGI application, as Django's test client runs it: without closing the
    database connection at the end of each request (it holds the test's transaction)."""
    handler = WSGIHandler()

    def wsgi(environ, start_response):
        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
        try:
            result = handler(environ, start_response)
            try:
                body = b"".join(result)
            finally:
                result.close()
        finally:
            request_started.connect(close_old_connections)
            request_finished.connect(close_old_connections)
        return [body]

    return wsgi
