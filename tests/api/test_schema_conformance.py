"""Schemathesis over Koel's own OpenAPI schema: generated requests to every /api/v1/ operation,
checking that no input produces a server error and that every answer matches the schema.

Not checked: "schema-valid data is accepted": a well-formed code Koel does not know (e.g. QQQ)
is valid to the schema but rightly a 400 naming the parameter."""

import os

import pytest
import schemathesis
from django.contrib.auth import get_user_model
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from koel.wsgi import application

# Per operation; reliability/run_hostile.py asks for many more (docs/reliability.md, 6a).
EXAMPLES = int(os.environ.get("KOEL_SCHEMATHESIS_EXAMPLES", "25"))
schema = schemathesis.openapi.from_wsgi("/api/schema/", application)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]


@pytest.fixture
def wsgi_in_test_transaction():
    """Keep the test's connection open across WSGI requests: Django closes it when a request
    finishes (its own test client disconnects the same handlers)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def market(store, settings, wsgi_in_test_transaction):
    settings.KOEL_ANON_RATE = "1000000/minute"  # generated traffic is not a client to throttle
    store(
        "ecb", ("EUR", "USD", "1.0956", "2024-01-02T15:00"), ("EUR", "JPY", "155.61", "2024-01-02")
    )
    store("alpha", ("EUR", "USD", "1.0930", "2024-01-02T14:00"))


@schema.include(path_regex="^/api/v1/").parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_api_matches_its_schema_and_never_fails(case, market):
    case.call_and_validate(checks=CHECKS)


@pytest.fixture
def signed_in(market):
    """A user's token: the alert and subscription endpoints answer their owner only."""
    user = get_user_model().objects.create_user("hostile")
    return {"Authorization": f"Token {Token.objects.create(user=user).key}"}


# Writes to the alert endpoints resolve the delivery URLs generated (seconds each): `make test`
# reads them, reliability/run_hostile.py (KOEL_HOSTILE_FULL=1) writes too.
FULL = os.environ.get("KOEL_HOSTILE_FULL") == "1"
ALERT_METHODS, ALERT_EXAMPLES = (None, EXAMPLES) if FULL else ("GET", 10)


@schema.include(path_regex="^/api/v1/alerts/", method=ALERT_METHODS).parametrize()
@settings(
    max_examples=ALERT_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_alerts_signed_in_match_the_schema_and_never_fail(case, signed_in):
    case.call_and_validate(headers=signed_in, checks=CHECKS)
