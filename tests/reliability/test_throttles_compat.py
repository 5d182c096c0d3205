"""The anonymous budget outside /api/v1/ (rates.compat.throttle): Frankfurter, OXR, Fixer and the
pages each answer 429 in their own shape with Retry-After once a client is over KOEL_ANON_RATE,
share one budget with Koel's API, and count replayed answers too (rates.http.replay)."""

import json

import pytest
from django.contrib.auth import get_user_model

from tests.api.test_replay import app, get  # noqa: F401  (fixtures: the real WSGI stack)

KEY = "throttle-test-key"

# (path, query) of one cheap answer of each door, and what its 429 body says.
DOORS = {
    "frankfurter-v1": ("/v1/currencies", {}),
    "frankfurter-v2": ("/v2/currencies", {}),
    "oxr": ("/api/currencies.json", {}),
    "fixer": ("/fixer/symbols", {"access_key": "not-a-key"}),
    "pages": ("/currencies/", {}),
}


@pytest.fixture
def budget(settings, currencies):
    settings.KOEL_ANON_RATE = "2/day"  # a day-long window: the test cannot straddle two
    settings.KOEL_COMPAT_KEYS = [KEY]


def over_budget(client, path, query, **headers):
    replies = [client.get(path, query, **headers) for _ in range(3)]
    assert [r.status_code for r in replies[:2]] != [429, 429]
    return replies[-1]


def test_frankfurter_v1_answers_its_own_429(client, budget):
    refused = over_budget(client, *DOORS["frankfurter-v1"])
    assert refused.status_code == 429
    assert refused.json() == {"message": "too many requests"}
    assert int(refused["Retry-After"]) >= 1


def test_frankfurter_v2_answers_its_own_429(client, budget):
    refused = over_budget(client, *DOORS["frankfurter-v2"])
    assert refused.status_code == 429
    assert refused.json() == {"status": 429, "message": "too many requests"}
    assert int(refused["Retry-After"]) >= 1


def test_oxr_answers_access_restricted(client, budget):
    refused = over_budget(client, *DOORS["oxr"])
    body = refused.json()
    assert refused.status_code == body["status"] == 429
    assert body["error"] is True
    assert body["message"] == "access_restricted"
    assert int(refused["Retry-After"]) >= 1


def test_fixer_answers_usage_limit_reached_and_wrong_keys_are_counted(client, budget):
    refused = over_budget(client, *DOORS["fixer"])  # 401s first: guessing keys costs budget
    body = refused.json()
    assert refused.status_code == 429
    assert body["success"] is False
    assert (body["error"]["code"], body["error"]["type"]) == (104, "usage_limit_reached")
    assert int(refused["Retry-After"]) >= 1


def test_a_page_answers_a_small_html_429(client, budget):
    refused = over_budget(client, *DOORS["pages"])
    assert refused.status_code == 429
    assert refused["Content-Type"].startswith("text/html")
    assert b"Too many requests" in refused.content
    assert refused["Cache-Control"] == "no-store"
    assert int(refused["Retry-After"]) >= 1


def test_one_budget_across_every_door(client, budget):
    statuses = [
        client.get("/v2/currencies").status_code,
        client.get("/api/currencies.json").status_code,
        client.get("/api/v1/currencies/").status_code,
    ]
    assert statuses == [200, 200, 429]


def test_each_client_has_its_own_budget(client, budget):
    for _ in range(3):
        client.get("/v1/currencies", REMOTE_ADDR="198.51.100.7")
    assert client.get("/v1/currencies", REMOTE_ADDR="198.51.100.8").status_code == 200


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("/api/currencies.json", {"app_id": KEY}),
        ("/fixer/symbols", {"access_key": KEY}),
    ],
)
def test_a_valid_key_of_the_layer_lifts_the_limit(client, budget, path, query):
    assert {client.get(path, query).status_code for _ in range(4)} == {200}


def test_a_logged_in_session_is_not_throttled(client, budget):
    client.force_login(get_user_model().objects.create_user("reader", password="x" * 12))
    assert {client.get("/currencies/").status_code for _ in range(4)} == {200}


@pytest.mark.parametrize("path", ["/healthz", "/admin/login/"])
def test_probes_and_the_admin_are_not_counted_here(client, budget, path):
    assert 429 not in {client.get(path).status_code for _ in range(4)}


def test_replayed_frankfurter_answers_are_counted(get, budget):  # noqa: F811
    replies = [get("/v2/currencies") for _ in range(3)]

    assert [r.status[:3] for r in replies] == ["200", "200", "429"]
    assert not replies[1].through_django  # replayed, and counted by the replay's lookup
    assert json.loads(replies[-1].body) == {"status": 429, "message": "too many requests"}
    assert int(replies[-1].header("Retry-After")) >= 1


def test_replayed_pages_are_counted(get, budget):  # noqa: F811
    replies = [get("/currencies/") for _ in range(4)]

    assert [r.status[:3] for r in replies] == ["200", "200", "429", "429"]
    assert not replies[1].through_django
