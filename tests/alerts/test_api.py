from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from alerts.models import AlertRule

RULES = "/api/v1/alerts/"
FIRINGS = "/api/v1/alerts/firings/"


@pytest.fixture
def stranger(db):
    return get_user_model().objects.create_user("stranger", "s@example.com", "pw")


def test_create_list_update_delete_own_rule(api, quoted):
    created = api.post(
        RULES, {"base": "eur", "target": "USD", "condition": "above", "threshold": "1.2"}
    )
    assert created.status_code == 201, created.json()
    rule = created.json()
    assert (rule["base"], rule["armed"], len(rule["webhook_secret"]) > 20) == ("EUR", True, True)
    assert [r["id"] for r in api.get(RULES).json()["results"]] == [rule["id"]]
    changed = api.patch(f"{RULES}{rule['id']}/", {"threshold": "1.3"})
    assert changed.json()["threshold"].startswith("1.3")
    assert api.delete(f"{RULES}{rule['id']}/").status_code == 204
    assert not AlertRule.objects.exists()


def test_cross_pair_is_accepted(api, quoted):
    # GBP/USD: no source quotes it; Koel crosses it through EUR.
    answer = api.post(
        RULES, {"base": "GBP", "target": "USD", "condition": "below", "threshold": "1"}
    )
    assert answer.status_code == 201


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"target": "XYZ"}, "target", "Unknown currency code"),
        ({"base": "QQQ"}, "base", "Unknown currency code"),
        ({"target": "CHF"}, "target", "Koel has no rate for EUR/CHF"),
        ({"target": "EUR"}, "target", "Base and target are both EUR"),
        ({"threshold": "0"}, "threshold", ""),
        ({"threshold": "-1"}, "threshold", ""),
        ({"window_hours": 0}, "window_hours", ""),
        ({"window_hours": 10000}, "window_hours", ""),
        ({"condition": "sideways"}, "condition", ""),
        ({"hysteresis": "-0.1"}, "hysteresis", ""),
        ({"cooldown": "-01:00:00"}, "cooldown", ""),
        ({"webhook_url": "not a url"}, "webhook_url", ""),
        ({"webhook_url": "ftp://example.com/hook"}, "webhook_url", ""),
        ({"slack_url": "file:///etc/passwd"}, "slack_url", ""),
    ],
)
def test_bad_input_is_a_400_naming_the_field(api, quoted, change, field, words):
    body = {"base": "EUR", "target": "USD", "condition": "change_pct", "threshold": "2", **change}
    answer = api.post(RULES, body, format="json")
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert error["field"] == field
    assert words in error["message"]


def test_another_users_rule_and_firing_answer_404(api, stranger, rule, land):
    theirs = rule("EUR", "USD", "above", "1.2", owner=stranger)
    land("ecb", ("EUR", "USD", "1.25", "2026-01-06T16:00"))
    firing = theirs.firings.get()
    assert api.get(f"{RULES}{theirs.id}/").status_code == 404
    assert api.patch(f"{RULES}{theirs.id}/", {"threshold": "9"}).status_code == 404
    assert api.delete(f"{RULES}{theirs.id}/").status_code == 404
    assert api.get(f"{FIRINGS}{firing.id}/").status_code == 404
    assert api.get(RULES).json()["results"] == []
    assert api.get(FIRINGS).json()["results"] == []
    assert AlertRule.objects.filter(id=theirs.id, threshold=Decimal("1.2")).exists()


def test_firings_list_the_owners_history_with_deliveries(api, rule, land):
    mine = rule("EUR", "USD", "above", "1.2", notify_email=True)
    land("ecb", ("EUR", "USD", "1.25", "2026-01-06T16:00"))
    [firing] = api.get(FIRINGS).json()["results"]
    assert firing["rule"] == mine.id
    assert firing["rate"].startswith("1.25")
    assert firing["deliveries"] == [
        {**firing["deliveries"][0], "channel": "email", "outcome": "delivered", "attempts": 1}
    ]
    [attempt] = firing["deliveries"][0]["attempt_log"]
    assert attempt == {
        **attempt,
        "number": 1,
        "outcome": "delivered",
        "http_status": None,
        "error": "",
    }
    assert attempt["started_at"] == firing["deliveries"][0]["last_attempt_at"]


def test_token_authentication(owner, quoted):
    api = APIClient()
    assert api.get(RULES).status_code in (401, 403)
    token = Token.objects.create(user=owner)
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert api.get(RULES).status_code == 200


def test_schema_documents_the_alerts_endpoints(api):
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert schema.status_code == 200
    text = schema.content.decode()
    assert "/api/v1/alerts/{id}/" in text
    assert "/api/v1/alerts/firings/" in text
    assert "A 2% move in 24 hours" in text
    # Deliveries carry every attempt, shown in an example answer for firings and data webhooks.
    assert "DeliveryAttempt" in text
    assert "DataDeliveryAttempt" in text
    assert "A firing whose webhook got through at the second attempt" in text
    assert "A batch whose first attempt failed, waiting for its retry" in text


@pytest.mark.parametrize("bad", ["abc", "-1", "1.5", "99999999999999999999"])
def test_malformed_ids_are_a_json_404(api, bad):
    answer = api.get(f"{RULES}{bad}/")
    assert answer.status_code == 404
    assert answer.json()["error"]["code"] == "not_found"
