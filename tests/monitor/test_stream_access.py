"""Who may open a stream and what each caller sees: their own alert firings only, the API's
errors and throttle, API keys, CORS for the site's own pages, and the WSGI server's redirect."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from rest_framework.authtoken.models import Token

from alerts.models import AlertRule
from monitor import stream_url
from rates.ingest.services import rates_upsert
from rates.models import ApiKey
from rates.types import RateRow
from tests.monitor.conftest import ANON_LIMIT
from tests.monitor.sse import Stream, new_address

pytestmark = pytest.mark.usefixtures("committed_catalog")
PATH = "/api/v1/stream/?pairs=EUR/USD"


def user_with_rule(name: str, threshold: str) -> tuple:
    user = get_user_model().objects.create_user(name, f"{name}@example.com", "pw")
    rule = AlertRule.objects.create(
        owner=user,
        name=f"{name}'s rule",
        base="EUR",
        target="USD",
        condition="above",
        threshold=Decimal(threshold),
        notify_email=False,
        cooldown=timedelta(0),
    )
    return user, rule


def session_cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}"


def received(stream: Stream, count: int) -> dict[str, dict]:
    """The next `count` events, by kind; then nothing more for a second."""
    with stream:
        events = {m.event: m.json() for m in (stream.next_event() for _ in range(count))}
        assert stream.quiet_for(1.0)
    return events


def test_a_user_sees_only_their_own_firings(stream_server):
    alice, alices_rule = user_with_rule("alice", "1.10")
    bob, bobs_rule = user_with_rule("bob", "1.15")
    token = Token.objects.create(user=bob)
    as_alice = Stream(stream_server, PATH, {"Cookie": session_cookie(alice)})
    as_bob = Stream(stream_server, PATH, {"Authorization": f"Token {token.key}"})
    anonymous = Stream(stream_server, PATH)
    observed = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)

    rates_upsert(source="ecb", rows=[RateRow("EUR", "USD", Decimal("1.2"), observed)])

    alices, bobs, anonymous = received(as_alice, 2), received(as_bob, 2), received(anonymous, 1)
    assert set(alices) == set(bobs) == {"rate", "firing"}
    assert set(anonymous) == {"rate"}
    assert bobs["firing"]["rule"] == bobs_rule.id
    assert alices["firing"] == {
        "id": alices_rule.firings.get().id,
        "rule": alices_rule.id,
        "rule_name": "alice's rule",
        "pair": "EUR/USD",
        "condition": "above",
        "threshold": "1.100000000000",
        "rate": "1.200000000000",  # as stored, as /api/v1/alerts/firings/ shows it
        "reference_rate": None,
        "observed_at": "2026-12-07T10:00:00+00:00",
        "fired_at": alices["firing"]["fired_at"],
    }


@pytest.mark.parametrize(
    ("query", "field", "says"),
    [
        ("?pairs=EURUSD", "pairs", "Not pairs like EUR/USD: EURUSD."),
        ("?pairs=EUR/USD,EUR/XXQ", "pairs", "Unknown currency code: 'XXQ'."),
        ("?pairs=EUR/EUR", "pairs", "A pair needs two different currencies: EUR/EUR."),
        ("?pairs=", "pairs", "May not be empty."),
        ("?pair=EUR/USD", "pair", "Unknown parameter."),
    ],
)
def test_bad_pairs_are_a_400_naming_the_field(stream_server, query, field, says):
    stream = Stream(stream_server, f"/api/v1/stream/{query}")

    assert stream.status == 400
    assert stream.response.getheader("Content-Type") == "application/json"
    assert stream.body() == (
        f'{{"error":{{"code":"invalid","message":"{says}","field":"{field}"}}}}'.encode()
    )


def test_opening_too_many_streams_is_throttled_but_a_key_is_not(stream_server):
    address = new_address()
    for _ in range(ANON_LIMIT):
        with Stream(stream_server, PATH, {"X-Forwarded-For": address}) as stream:
            assert stream.status == 200
    refused = Stream(stream_server, PATH, {"X-Forwarded-For": address})
    _, raw = ApiKey.issue("partner")
    keyed = Stream(stream_server, PATH, {"X-Forwarded-For": address, "X-API-Key": raw})

    assert refused.status == 429
    assert int(refused.response.getheader("Retry-After")) >= 1
    assert b'"code":"throttled"' in refused.body()
    assert keyed.status == 200
    keyed.close()


def test_an_unknown_api_key_is_a_401(stream_server):
    stream = Stream(stream_server, PATH, {"X-API-Key": "not-a-key"})

    assert stream.status == 401
    assert b'"code":"unauthorized"' in stream.body()


def test_the_sites_own_pages_may_read_it_with_credentials(stream_server):
    site = Stream(stream_server, PATH, {"Origin": "http://127.0.0.1:8000"})
    other = Stream(stream_server, PATH, {"Origin": "https://elsewhere.example"})

    assert site.response.getheader("Access-Control-Allow-Origin") == "http://127.0.0.1:8000"
    assert site.response.getheader("Access-Control-Allow-Credentials") == "true"
    assert other.response.getheader("Access-Control-Allow-Origin") is None
    site.close()
    other.close()


def test_the_wsgi_server_redirects_to_the_stream_server(client, settings):
    settings.KOEL_STREAM_PORT, settings.ALLOWED_HOSTS = 8123, ["koel.example"]

    response = client.get(PATH, HTTP_HOST="koel.example:8000")

    assert response.status_code == 307
    assert response["Location"] == "http://koel.example:8123/api/v1/stream/?pairs=EUR/USD"


def test_the_stream_url_setting_overrides_host_and_port(rf, settings):
    settings.KOEL_STREAM_URL = "https://stream.koel.example/"

    assert stream_url(rf.get("/monitor/")) == "https://stream.koel.example/api/v1/stream/"
