"""Data webhooks: one signed batch per subscription per committed ingest, only the pairs of the
subscribed currencies; managed over REST, each user seeing only their own."""

import hashlib
import hmac
import json

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import reverse
from rest_framework.test import APIClient

from alerts.models import DataDelivery, DataSubscription
from tests.alerts.receiver import Receiver

# The receivers listen on 127.0.0.1 (refused by default: test_targets.py).
pytestmark = pytest.mark.usefixtures("private_targets")

SUBSCRIPTIONS = "/api/v1/alerts/subscriptions/"
DAY = "2026-01-05T16:00"


def verified(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """The receiver's check, written from docs/alerts.md: HMAC-SHA256 keyed with the secret over
    `<X-Koel-Timestamp>.<body>`, hex, prefixed `sha256=`, compared in constant time."""
    signed = headers["X-Koel-Timestamp"].encode() + b"." + body
    expected = "sha256=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, headers["X-Koel-Signature"])


@pytest.fixture
def subscribe(owner, currencies):
    def build(url: str, *codes: str, **fields) -> DataSubscription:
        return DataSubscription.objects.create(
            owner=owner, currencies=list(codes), url=url, **fields
        )

    return build


def test_one_signed_batch_per_ingest_of_subscribed_pairs(land, subscribe):
    with Receiver([]) as hook:
        sub = subscribe(hook.url, "JPY")
        land(
            "ecb",
            ("EUR", "USD", "1.1", DAY),
            ("EUR", "JPY", "160.5", DAY),
            ("USD", "JPY", "145.9", DAY),
        )
    assert len(hook.requests) == 1
    headers, body = hook.requests[0]
    assert verified(sub.secret, headers, body)
    assert not verified("another secret", headers, body)
    sent = json.loads(body)
    assert (sent["event"], sent["source"]) == ("rates.landed", "ecb")
    pairs = [(r["base"], r["target"], r["rate"]) for r in sent["rates"]]
    assert pairs == [("EUR", "JPY", "160.5"), ("USD", "JPY", "145.9")]
    assert sent["rates"][0]["observed_at"] == "2026-01-05T16:00:00+00:00"
    delivery = DataDelivery.objects.get(subscription=sub)
    assert (delivery.id, delivery.outcome, delivery.attempts) == (
        sent["delivery_id"],
        "delivered",
        1,
    )


def test_not_sent_when_no_subscribed_currency_landed_or_paused(land, subscribe):
    with Receiver([]) as hook:
        subscribe(hook.url, "CHF")
        subscribe(hook.url, "USD", active=False)
        land("ecb", ("EUR", "USD", "1.1", DAY))
    assert hook.requests == []
    assert not DataDelivery.objects.exists()


def failed_ingest(store):
    with transaction.atomic():
        store("ecb", ("EUR", "USD", "1.1", DAY))
        raise RuntimeError("the ingest failed after writing")


def test_not_sent_for_a_rolled_back_write(store, subscribe, django_capture_on_commit_callbacks):
    with Receiver([]) as hook, django_capture_on_commit_callbacks(execute=True):
        subscribe(hook.url, "USD")
        with pytest.raises(RuntimeError, match="failed after writing"):
            failed_ingest(store)
    assert hook.requests == []
    assert not DataDelivery.objects.exists()


def test_retried_and_every_attempt_recorded(land, subscribe):
    with Receiver([500, 503]) as hook:
        sub = subscribe(hook.url, "USD")
        land("ecb", ("EUR", "USD", "1.1", DAY))
    assert len(hook.requests) == 3
    assert len({body for _, body in hook.requests}) == 1  # every retry sends the same batch
    delivery = DataDelivery.objects.get(subscription=sub)
    assert (delivery.outcome, delivery.attempts) == ("delivered", 3)
    assert list(delivery.attempt_log.values_list("number", "outcome", "http_status", "error")) == [
        (1, "failed", 500, f"{hook.url} answered HTTP 500"),
        (2, "failed", 503, f"{hook.url} answered HTTP 503"),
        (3, "delivered", 200, ""),
    ]


def test_rest_crud_and_owner_isolation(api, currencies):
    created = api.post(
        SUBSCRIPTIONS, {"currencies": ["jpy", "EUR"], "url": "https://example.com/h"}, format="json"
    )
    assert created.status_code == 201, created.json()
    sub = created.json()
    assert sub["currencies"] == ["EUR", "JPY"]
    assert len(sub["secret"]) > 20
    one = f"{SUBSCRIPTIONS}{sub['id']}/"
    assert api.patch(one, {"active": False}, format="json").json()["active"] is False
    stranger = get_user_model().objects.create_user("stranger", "s@example.com", "pw")
    other = APIClient()
    other.force_login(stranger)
    assert other.get(one).status_code == 404
    assert other.delete(one).status_code == 404
    assert other.get(SUBSCRIPTIONS).json()["results"] == []
    assert api.delete(one).status_code == 204


def test_rest_rejects_unknown_currency_and_bad_url(api, currencies):
    answer = api.post(SUBSCRIPTIONS, {"currencies": ["XYZ"], "url": "ftp://x"}, format="json")
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert error["field"] in {"currencies", "url"}
    bad_code = api.post(
        SUBSCRIPTIONS, {"currencies": ["XYZ"], "url": "https://e.com/"}, format="json"
    )
    assert bad_code.json()["error"] == {
        "code": "invalid",
        "message": "Unknown currency code: XYZ",
        "field": "currencies",
    }


def admin_form(owner, **fields):
    form = {
        "owner": owner.id,
        "currencies": "jpy,EUR",
        "url": "https://example.com/h",
        "secret": "s3cret",
        "active": "on",
        "deliveries-TOTAL_FORMS": "0",
        "deliveries-INITIAL_FORMS": "0",
    }
    return {**form, **fields}


def test_admin_manages_subscriptions(admin_client, owner, currencies):
    url = reverse("admin:alerts_datasubscription_add")
    answer = admin_client.post(url, admin_form(owner))
    assert answer.status_code == 302
    assert DataSubscription.objects.get().currencies == ["EUR", "JPY"]
    refused = admin_client.post(url, admin_form(owner, currencies="EUR,XYZ"))
    assert refused.status_code == 200
    assert "Unknown currency code: XYZ" in refused.text


def test_gives_up_after_the_last_retry_and_lists_deliveries(land, subscribe, api):
    with Receiver([500] * 6) as hook:
        sub = subscribe(hook.url, "USD")
        land("ecb", ("EUR", "USD", "1.1", DAY))
    assert len(hook.requests) == 6  # the first try and 5 retries
    listed = api.get(f"{SUBSCRIPTIONS}deliveries/").json()["results"]
    assert [(d["subscription"], d["outcome"], d["attempts"]) for d in listed] == [
        (sub.id, "failed", 6)
    ]
    assert "answered HTTP 500" in listed[0]["last_error"]
    log = listed[0]["attempt_log"]
    assert [(a["number"], a["outcome"], a["http_status"]) for a in log] == [
        (n, "failed", 500) for n in range(1, 7)
    ]
    assert log[0]["error"] == f"{hook.url} answered HTTP 500"
    stranger = get_user_model().objects.create_user("stranger", "s@example.com", "pw")
    other = APIClient()
    other.force_login(stranger)
    assert other.get(f"{SUBSCRIPTIONS}deliveries/{listed[0]['id']}/").status_code == 404
