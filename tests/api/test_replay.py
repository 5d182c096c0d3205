"""Stored answers replayed in front of Django (rates.http.replay), through the real WSGI stack:
Django's handler behind ReplayApp, Redis for the entries, PostgreSQL behind the views. Then the
answers finished per request (an amount applied to a cached rate) and the per-process memo."""

import io
import json
from dataclasses import dataclass
from urllib.parse import urlencode

import pytest
from django.core.cache import cache
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections

from rates import redis_link
from rates.http.replay import ReplayApp, _Entry, _Memo

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


def client_count(address: str) -> int:
    """The requests counted in the client's current throttle window (its one counter key)."""
    client = cache.client.get_client()
    keys = list(client.scan_iter(match=cache.make_key(f"throttle:{address}:*")))
    return sum(int(client.get(key)) for key in keys)


def test_a_miss_on_a_counted_path_is_counted_once_by_the_lookup(
    get, eur_usd, store, settings, django_capture_on_commit_callbacks, monkeypatch
):
    settings.KOEL_ANON_RATE = "100/minute"
    get("/api/v1/rates/", PAIR)  # stored: the path's answers are counted
    with django_capture_on_commit_callbacks(execute=True):
        store("ecb", ("EUR", "USD", "1.2000", "2024-01-03T15:00"))  # the entry goes stale
    counted = client_count("192.0.2.1")
    # From here on, Django's throttle takes the lookup's count: it never counts itself.
    monkeypatch.setattr("rates.api.auth.count", lambda window: pytest.fail("counted twice"))

    miss = get("/api/v1/rates/", PAIR)
    other = get("/api/v1/rates/", {"base": "USD", "target": "EUR"})  # never stored
    hit = get("/api/v1/rates/", PAIR)

    assert (miss.through_django, other.through_django, hit.through_django) == (True, True, False)
    assert client_count("192.0.2.1") == counted + 3  # one each, whoever answered


def test_a_client_over_budget_is_refused_by_django_without_counting_twice(get, eur_usd, settings):
    settings.KOEL_ANON_RATE = "2/minute"

    replies = [get("/api/v1/rates/", PAIR) for _ in range(4)]

    assert [r.status[:3] for r in replies] == ["200", "200", "429", "429"]
    assert client_count("192.0.2.1") == 4


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
    own = redis_link.held_connection()  # this thread's: the replay's and the API's
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


def test_a_conversion_is_replayed_for_any_amount_from_one_entry(get, eur_usd):
    first = get("/api/v1/convert/", {"from": "EUR", "to": "USD", "amount": "10"})
    other = get("/api/v1/convert/", {"from": "EUR", "to": "USD", "amount": "20"})

    assert first.through_django
    assert not other.through_django  # the replay applies the amount to the stored rate
    assert json.loads(other.body)["converted"] == "21.91"
    assert len(ttls("replay:*")) == 1


CONVERT = {"from": "EUR", "to": "USD"}
ENDPOINTS = [("/api/v1/rates/", PAIR), ("/api/v1/convert/", CONVERT)]
VALID = [
    "0",
    "1",
    "10",
    "007.50",
    "1E+5",
    "0.000000000001",
    "12345.678901234567",
    "9" * 28,
    "9" * 16 + ".123456789012",
]
# Each refused by the view's validation with a 400: the replay leaves them to Django.
INVALID = ["-1", "abc", "", "NaN", "Infinity", "1.0000000000001", "1" + "0" * 28, "1E+30"]


@pytest.fixture
def django_answer(get, settings):
    def call(path, query):
        settings.KOEL_REPLAY = False
        try:
            return get(path, query)
        finally:
            settings.KOEL_REPLAY = True

    return call


@pytest.fixture(autouse=True)
def generous_throttle(settings):
    settings.KOEL_ANON_RATE = "10000/minute"


@pytest.mark.parametrize(("path", "query"), ENDPOINTS, ids=["rates", "convert"])
def test_a_replayed_amount_is_what_django_answers_byte_for_byte(
    get, django_answer, eur_usd, path, query
):
    assert get(path, {**query, "amount": "1"}).through_django

    for amount in VALID:
        replayed = get(path, {**query, "amount": amount})
        direct = django_answer(path, {**query, "amount": amount})

        assert not replayed.through_django, amount
        assert direct.through_django
        assert (replayed.status, replayed.body) == (direct.status, direct.body), amount
        assert replayed.headers == direct.headers, amount
    assert len(ttls("replay:*")) == 1


@pytest.mark.parametrize(("path", "query"), ENDPOINTS, ids=["rates", "convert"])
def test_an_amount_django_refuses_goes_to_django_for_its_400(
    get, django_answer, eur_usd, path, query
):
    get(path, {**query, "amount": "1"})

    for amount in INVALID:
        refused = get(path, {**query, "amount": amount})

        assert refused.through_django, amount
        assert refused.status.startswith("400"), amount
        assert json.loads(refused.body)["error"]["code"], amount
        assert refused.body == django_answer(path, {**query, "amount": amount}).body


def test_an_amount_given_twice_goes_to_django(get, eur_usd):
    get("/api/v1/convert/", {**CONVERT, "amount": "1"})

    twice = get("/api/v1/convert/", [*CONVERT.items(), ("amount", "2"), ("amount", "3")])

    assert twice.through_django
    assert twice.status.startswith("400")
    assert json.loads(twice.body)["error"]["field"] == "amount"  # not the last one, silently


def test_the_answer_without_an_amount_is_its_own_entry(get, eur_usd):
    plain = get("/api/v1/rates/", PAIR)
    get("/api/v1/rates/", {**PAIR, "amount": "5"})

    again = get("/api/v1/rates/", PAIR)
    amount = get("/api/v1/rates/", {**PAIR, "amount": "6"})

    assert not again.through_django
    assert again.body == plain.body
    assert "converted" not in json.loads(again.body)["rates"][0]
    assert not amount.through_django
    assert json.loads(amount.body)["rates"][0]["converted"] == "6.57"


def test_replayed_amounts_count_against_the_anonymous_throttle(get, eur_usd, settings):
    settings.KOEL_ANON_RATE = "3/minute"

    replies = [get("/api/v1/convert/", {**CONVERT, "amount": str(n)}) for n in range(4)]

    assert [r.status[:3] for r in replies] == ["200", "200", "200", "429"]
    assert [r.through_django for r in replies] == [True, False, False, True]


def test_a_refused_amount_is_counted_once(get, eur_usd, settings):
    settings.KOEL_ANON_RATE = "3/minute"
    get("/api/v1/convert/", {**CONVERT, "amount": "1"})

    refused = [get("/api/v1/convert/", {**CONVERT, "amount": "-1"}) for _ in range(2)]
    last = get("/api/v1/convert/", {**CONVERT, "amount": "2"})

    assert [r.status[:3] for r in refused] == ["400", "400"]
    assert last.status.startswith("429")  # 1 + 2 refused: the replay did not count them too


def test_a_write_ends_the_replay_of_amounts(
    get, eur_usd, store, django_capture_on_commit_callbacks
):
    get("/api/v1/convert/", {**CONVERT, "amount": "10"})
    assert not get("/api/v1/convert/", {**CONVERT, "amount": "10"}).through_django

    with django_capture_on_commit_callbacks(execute=True):
        store("ecb", ("EUR", "USD", "1.2000", "2024-01-03T15:00"))
    after = get("/api/v1/convert/", {**CONVERT, "amount": "10"})

    assert after.through_django
    assert json.loads(after.body)["converted"] == "12.00"


def entry_keys() -> list[str]:
    return list(cache.client.get_client().scan_iter(match=cache.make_key("replay:*")))


def test_a_held_entry_is_not_sent_again(get, eur_usd):
    first = get("/api/v1/rates/", PAIR)
    (key,) = entry_keys()
    cache.client.get_client().hdel(key, "body")  # were the body fetched, the replay would break

    again = get("/api/v1/rates/", PAIR)

    assert not again.through_django
    assert again.body == first.body


def test_a_newer_store_is_never_answered_from_the_memo(get, eur_usd):
    get("/api/v1/rates/", PAIR)
    (key,) = entry_keys()
    # Another process stores the entry again (its own stamp), with other bytes.
    cache.client.get_client().hset(key, mapping={"stamp": "another", "body": b'{"newer":1}'})

    again = get("/api/v1/rates/", PAIR)

    assert not again.through_django
    assert again.body == b'{"newer":1}'


def test_a_generation_bump_is_never_answered_from_the_memo(
    get, eur_usd, app, store, django_capture_on_commit_callbacks
):
    get("/api/v1/rates/", PAIR)
    assert len(app.memo.entries) == 1

    with django_capture_on_commit_callbacks(execute=True):
        store("ecb", ("EUR", "USD", "1.2000", "2024-01-03T15:00"))
    after = get("/api/v1/rates/", PAIR)

    assert after.through_django
    assert json.loads(after.body)["rates"][0]["rate"] == "1.2000"


def test_a_process_without_the_memo_fetches_every_entry(get, eur_usd, app):
    app.memo = _Memo(0)
    get("/api/v1/rates/", PAIR)
    (key,) = entry_keys()
    cache.client.get_client().hset(key, "body", b'{"fetched":1}')  # the same stamp

    again = get("/api/v1/rates/", PAIR)

    assert again.body == b'{"fetched":1}'
    assert app.memo.entries == {}


def memo_entry(size: int) -> _Entry:
    return _Entry("200 OK", [], b"x" * size, None, size)


def test_the_memo_drops_the_least_recently_used_past_its_bytes():
    memo = _Memo(25)
    memo.put("a", "1", memo_entry(10))
    memo.put("b", "1", memo_entry(10))
    memo.get("a")
    memo.put("c", "1", memo_entry(10))
    memo.put("huge", "1", memo_entry(26))

    assert list(memo.entries) == ["a", "c"]
    assert memo.size == 20
