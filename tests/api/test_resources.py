"""Currencies, sources, scrape runs; API keys and throttling; the schema."""

import pytest
from django.urls import reverse
from django.utils import timezone

from rates.models import ApiKey, RunStatus, ScrapeRun, Source

RATES = reverse("api:rates")


def test_currencies_filter_and_search(client, currencies):
    primary = client.get("/api/v1/currencies/", {"group": "primary", "active": "true"}).json()
    found = client.get("/api/v1/currencies/", {"search": "swiss"}).json()

    assert primary["count"] == 15
    assert {c["code"] for c in primary["results"]} >= {"USD", "EUR", "JPY"}
    assert [c["code"] for c in found["results"]] == ["CHF"]


def test_currency_detail_has_coverage_and_sources(client, store):
    store("ecb", ("EUR", "USD", "1.0956", "2024-01-02T15:00"))
    store("alpha", ("USD", "JPY", "141.9", "2024-02-05T15:00"))

    body = client.get("/api/v1/currencies/usd/").json()

    assert (body["code"], body["symbol"], body["decimal_digits"]) == ("USD", "$", 2)
    assert (body["first_date"], body["last_date"]) == ("2024-01-02", "2024-02-05")
    assert body["sources"] == ["alpha", "ecb"]


def test_unknown_currency_detail_is_404_in_the_envelope(client, currencies):
    response = client.get("/api/v1/currencies/XYZ/")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_sources_show_health(client, sources):
    Source.objects.filter(code="alpha").update(attempts=4, successes=3, total_latency=2.0)

    body = client.get("/api/v1/sources/alpha/").json()

    assert (body["success_rate"], body["mean_latency"], body["circuit"]) == (0.75, 0.5, "closed")
    assert body["last_run"] is None


def test_source_shows_its_last_run(client, sources):
    ScrapeRun.objects.create(scope="group", target="primary", attempts=[{"source": "beta"}])
    run = ScrapeRun.objects.create(
        scope="base",
        target="USD",
        status=RunStatus.PARTIAL,
        attempts=[{"source": "alpha", "outcome": "failed", "error": "HTTP 500"}],
    )

    last = client.get("/api/v1/sources/alpha/").json()["last_run"]

    assert (last["id"], last["status"], last["outcome"], last["error"]) == (
        run.id,
        "partial",
        "failed",
        "HTTP 500",
    )


def test_runs_list_and_detail(client, sources):
    run = ScrapeRun.objects.create(
        scope="group", target="primary", status=RunStatus.SUCCEEDED, bases_total=15, bases_done=15
    )

    listed = client.get("/api/v1/runs/", {"status": "succeeded"}).json()
    detail = client.get(f"/api/v1/runs/{run.id}/").json()

    assert [r["id"] for r in listed["results"]] == [run.id]
    assert (detail["bases_done"], detail["bases_total"], detail["status"]) == (15, 15, "succeeded")


def test_only_staff_may_start_a_run(client, admin_client, sources, settings):
    assert client.post("/api/v1/runs/", {"scope": "group", "target": "primary"}).status_code in (
        401,
        403,
    )
    bad = admin_client.post("/api/v1/runs/", {"scope": "planet", "target": "x"})
    assert bad.json()["error"]["field"] == "scope"


@pytest.mark.filterwarnings("ignore::celery.exceptions.AlwaysEagerIgnored")
def test_a_run_started_by_the_api_is_queued_at_once(admin_client, sources, currencies):
    response = admin_client.post("/api/v1/runs/", {"scope": "base", "target": "jpy"})

    assert response.status_code == 202
    body = response.json()
    run = ScrapeRun.objects.get()
    assert body == {
        "run": run.id,
        "task_id": run.task_id,
        "scope": "base",
        "target": "JPY",
        "status": "queued",
    }
    assert (run.trigger, run.status) == ("api", "queued")
    assert admin_client.get(f"/api/v1/runs/{run.id}/").json()["status"] == "queued"


def test_the_api_refuses_a_run_that_would_scrape_nothing(admin_client, sources, currencies):
    response = admin_client.post("/api/v1/runs/", {"scope": "base", "target": "XAU"})

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["field"] == "target"
    assert "XAU is not active" in error["message"]
    assert not ScrapeRun.objects.exists()


def test_anonymous_clients_are_throttled_with_retry_after(client, store, settings):
    store("ecb", ("EUR", "USD", "1.0956", "2024-01-02T15:00"))
    settings.KOEL_ANON_RATE = "2/day"  # a day-long window: the test cannot straddle two

    statuses = [client.get(RATES, {"base": "EUR", "target": "USD"}).status_code for _ in range(3)]
    throttled = client.get(RATES, {"base": "EUR", "target": "USD"})

    assert statuses == [200, 200, 429]
    assert throttled.json()["error"]["code"] == "throttled"
    assert int(throttled["Retry-After"]) > 0


def test_an_api_key_lifts_the_limit_and_a_revoked_one_is_refused(client, store, settings):
    store("ecb", ("EUR", "USD", "1.0956", "2024-01-02T15:00"))
    settings.KOEL_ANON_RATE = "1/day"
    key, raw = ApiKey.issue("partner")
    headers = {"HTTP_X_API_KEY": raw}

    statuses = {client.get(RATES, {"base": "EUR"}, **headers).status_code for _ in range(3)}
    assert statuses == {200}
    key.refresh_from_db()
    assert key.last_used_at is not None
    assert raw not in key.hashed_key

    ApiKey.objects.filter(pk=key.pk).update(revoked_at=timezone.now())
    refused = client.get(RATES, {"base": "EUR"}, HTTP_AUTHORIZATION=f"Api-Key {raw}")
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "unauthorized"


@pytest.mark.parametrize("path", ["/api/schema/", "/api/docs/", "/api/redoc/"])
def test_docs_are_served(client, path):
    assert client.get(path).status_code == 200


def test_schema_documents_every_endpoint_with_errors(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()

    paths = schema["paths"]
    assert {"/api/v1/rates/", "/api/v1/convert/", "/api/v1/rates/history/"} <= set(paths)
    rates = paths["/api/v1/rates/"]["get"]
    assert {"200", "400", "404", "429"} <= set(rates["responses"])
    assert all(p.get("description") for p in rates["parameters"])


def test_the_throttle_counts_concurrent_requests_exactly(settings):
    """Twenty requests at once from one address under a limit of five: five get through."""
    from concurrent.futures import ThreadPoolExecutor

    from django.contrib.auth.models import AnonymousUser
    from rest_framework.request import Request
    from rest_framework.test import APIRequestFactory

    from rates.api.auth import AnonymousThrottle

    settings.KOEL_ANON_RATE = "5/day"
    address = f"198.51.100.{timezone.now().microsecond % 250}"

    def attempt(_):
        request = Request(APIRequestFactory().get("/api/v1/rates/", REMOTE_ADDR=address))
        request.user = AnonymousUser()
        return AnonymousThrottle().allow_request(request, None)

    with ThreadPoolExecutor(max_workers=10) as pool:
        allowed = list(pool.map(attempt, range(20)))

    assert allowed.count(True) == 5


def test_a_client_cannot_choose_its_identity_with_x_forwarded_for(client, store, settings):
    store("ecb", ("EUR", "USD", "1.0956", "2024-01-02T15:00"))
    settings.KOEL_ANON_RATE = "1/day"

    statuses = [
        client.get(RATES, {"base": "EUR"}, HTTP_X_FORWARDED_FOR=f"203.0.113.{i}").status_code
        for i in range(3)
    ]

    assert statuses == [200, 429, 429]
