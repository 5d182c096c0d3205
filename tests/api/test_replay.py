"""Stored answers replayed in front of Django (rates.http.replay), through the real WSGI stack:
Django's handler behind ReplayApp, Redis for the entries, PostgreSQL behind the views."""

import io
import json
from dataclasses import dataclass
from urllib.parse import urlencode

import pytest
from django.core.cache import cache
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections

from rates.http.replay import ReplayApp

PAIR = {"base": "EUR", "target": "USD"}


@dataclass
class Reply:
    status: str
    headers: list[tuple[str, str]]
    body: bytes
    through_django: bool

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)


@pytest.fixture
def app(settings):
    settings.KOEL_REPLAY = True
    # As Django's test client does: a request must not close the test's transaction.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield ReplayApp(WSGIHandler())
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def get(app):
    entered = []

    def note(**kwargs):
        entered.append(True)

    request_started.connect(note, weak=False)

    def call(path, query=None, method="GET", **headers) -> Reply:
        environ = {
            "REQUEST_METHOD": method,
            "SCRIPT_NAME": "",
            "PATH_INFO": path,
            "QUERY_STRING": urlencode(query or {}),
            "SERVER_NAME": "testserver",
            "SERVER_PORT": "80",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "192.0.2.1",
            "HTTP_HOST": "testserver",
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(b""),
            "wsgi.errors": io.StringIO(),
            "wsgi.version": (1, 0),
            "wsgi.multithread": False,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
            **headers,
        }
        sent = {}

        def start_response(status, response_headers, exc_info=None):
            sent.update(status=status, headers=response_headers)

        entered.clear()
        result = app(environ, start_response)
        body = b"".join(result)
        if hasattr(result, "close"):
            result.close()
        return Reply(sent["status"], list(sent["headers"]), body, bool(entered))

    yield call
    request_started.disconnect(note)


@pytest.fixture
def eur_usd(store, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        store("ecb", ("EUR", "USD", "1.0956", "2024-01-02T15:00"))


def test_a_repeated_read_is_replayed_byte_for_byte_without_django(get, eur_usd):
    first = get("/api/v1/rates/", PAIR)
    again = get("/api/v1/rates/", PAIR)

    assert first.status == again.status == "200 OK"
    assert first.through_django
    assert not again.through_django
    assert again.body == first.body
    assert again.headers == first.headers
    assert json.loads(again.body)["rates"][0]["rate"] == "1.0956"


def test_a_write_ends_the_replay_at_once(get, eur_usd, store, django_capture_on_commit_callbacks):
    get("/api/v1/rates/", PAIR)

    with django_capture_on_commit_callbacks(execute=True):
        store("ecb", ("EUR", "USD", "1.2000", "2024-01-03T15:00"))
    after = get("/api/v1/rates/", PAIR)

    assert after.through_django
    assert json.loads(after.body)["rates"][0]["rate"] == "1.2000"
    assert not get("/api/v1/rates/", PAIR).through_django


def test_replayed_answers_count_against_the_anonymous_throttle(get, eur_usd, settings):
    settings.KOEL_ANON_RATE = "3/minute"

    replies = [get("/api/v1/rates/", PAIR) for _ in range(4)]

    assert [r.status[:3] for r in replies] == ["200", "200", "200", "429"]
    assert [r.through_django for r in replies] == [True, False, False, True]
    refused = replies[-1]
    assert json.loads(refused.body)["error"]["code"] == "throttled"
    assert int(refused.header("Retry-After")) >= 1


def test_each_client_has_its_own_budget_on_replays(get, eur_usd, settings):
    settings.KOEL_ANON_RATE = "1/minute"

    first = get("/api/v1/rates/", PAIR, REMOTE_ADDR="192.0.2.10")
    other = get("/api/v1/rates/", PAIR, REMOTE_ADDR="192.0.2.11")
    again = get("/api/v1/rates/", PAIR, REMOTE_ADDR="192.0.2.10")

    assert (first.status[:3], other.status[:3], again.status[:3]) == ("200", "200", "429")
    assert not other.through_django


@pytest.mark.parametrize(
    "headers",
    [
        {"HTTP_X_API_KEY": "whatever"},
        {"HTTP_AUTHORIZATION": "Api-Key whatever"},
        {"HTTP_COOKIE": "sessionid=abc"},
        {"HTTP_IF_NONE_MATCH": '"abc"'},
    ],
    ids=["api key", "authorization", "session", "conditional"],
)
def test_requests_that_django_may_answer_differently_go_to_django(get, eur_usd, headers):
    get("/api/v1/rates/", PAIR)

    assert get("/api/v1/rates/", PAIR, **headers).through_django


def test_a_conditional_request_still_gets_its_304(get, eur_usd):
    etag = get("/api/v1/rates/", PAIR).header("ETag")

    reply = get("/api/v1/rates/", PAIR, HTTP_IF_NONE_MATCH=etag)

    assert reply.status.startswith("304")
    assert reply.body == b""


def test_the_cors_answer_of_one_origin_is_not_replayed_to_another(get, eur_usd, settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://allowed.example"]
    allowed = {"HTTP_ORIGIN": "https://allowed.example"}
    other = {"HTTP_ORIGIN": "https://other.example"}

    get("/api/v1/rates/", PAIR, **allowed)
    replayed = get("/api/v1/rates/", PAIR, **allowed)
    refused = get("/api/v1/rates/", PAIR, **other)

    assert not replayed.through_django
    assert replayed.header("Access-Control-Allow-Origin") == "https://allowed.example"
    assert refused.through_django
    assert refused.header("Access-Control-Allow-Origin") is None


def test_errors_are_never_replayed(get, eur_usd):
    get("/api/v1/rates/", {"base": "EUR", "target": "XYZ"})

    again = get("/api/v1/rates/", {"base": "EUR", "target": "XYZ"})

    assert again.status.startswith("400")
    assert again.through_django


def test_answers_behind_a_key_check_are_never_replayed(get, eur_usd, settings):
    settings.KOEL_COMPAT_KEYS = ["secret-key"]
    query = {"app_id": "secret-key"}
    get("/api/latest.json", query)

    again = get("/api/latest.json", query)
    settings.KOEL_COMPAT_KEYS = []
    revoked = get("/api/latest.json", query)

    assert again.status.startswith("200")
    assert again.through_django
    assert revoked.status.startswith("401")


def test_frankfurter_answers_are_replayed(get, eur_usd):
    first = get("/v1/2024-01-02", {"symbols": "USD"})
    again = get("/v1/2024-01-02", {"symbols": "USD"})

    assert json.loads(first.body)["rates"] == {"USD": 1.0956}
    assert not again.through_django
    assert again.body == first.body


def test_other_methods_and_disabled_replay_go_to_django(get, eur_usd, settings):
    get("/api/v1/rates/", PAIR)

    assert get("/api/v1/rates/", PAIR, method="HEAD").through_django
    settings.KOEL_REPLAY = False
    assert get("/api/v1/rates/", PAIR).through_django


def test_a_server_that_forgot_the_script_gets_it_again(get, eur_usd, app):
    from django.core.cache import cache

    get("/api/v1/rates/", PAIR)
    cache.client.get_client(write=True).script_flush()

    assert not get("/api/v1/rates/", PAIR).through_django


def test_a_lost_redis_connection_falls_back_to_django_then_reconnects(get, eur_usd, app):
    from django.core.cache import cache

    get("/api/v1/rates/", PAIR)
    assert not get("/api/v1/rates/", PAIR).through_django
    own = app._lookup.local.held[1]
    own.send_command("CLIENT", "ID")
    cache.client.get_client(write=True).execute_command("CLIENT", "KILL", "ID", own.read_response())

    lost = get("/api/v1/rates/", PAIR)
    again = get("/api/v1/rates/", PAIR)

    assert lost.status == "200 OK"
    assert lost.through_django
    assert not again.through_django


def ttls(pattern: str) -> list[int]:
    client = cache.client.get_client()
    return [client.ttl(key) for key in client.scan_iter(match=cache.make_key(pattern))]


def test_latest_answers_are_kept_no_longer_than_their_age_may_drift(get, eur_usd, settings):
    settings.KOEL_API_MAX_AGE = 30  # latest answers say their age_seconds: rebuilt this often
    get("/api/v1/rates/", PAIR)
    get("/api/v1/rates/", {**PAIR, "at": "2024-01-03"})  # a rate at an instant does not age

    assert len(ttls("replay:*")) == 2
    assert sorted(ttl > 30 for ttl in ttls("answer2:*")) == [False, True]
    assert sorted(ttl > 30 for ttl in ttls("replay:*")) == [False, True]
    assert 0 < min(ttls("replay:*")) <= 30


def test_a_conversion_goes_to_django_for_its_amount(get, eur_usd):
    query = {"from": "EUR", "to": "USD", "amount": "10"}
    first, again = get("/api/v1/convert/", query), get("/api/v1/convert/", query)

    assert first.through_django
    assert again.through_django  # the amount is applied per request, to the cached rate
    assert again.body == first.body
    assert ttls("replay:*") == []
