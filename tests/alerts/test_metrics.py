"""The alerts' figures on /metrics: firings and deliveries move when a rule fires and when a
delivery fails."""

import re

import pytest

TOKEN = "s3cret-metrics-token"  # noqa: S105


@pytest.fixture
def scrape(client, settings, db):
    settings.KOEL_METRICS_TOKEN = TOKEN

    def get() -> str:
        response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
        assert response.status_code == 200
        return response.text

    return get


def value(text: str, sample: str) -> float:
    match = re.search(rf"^{re.escape(sample)} (\S+)$", text, re.M)
    return float(match.group(1)) if match else 0.0


FIRED = 'koel_alerts_fired_total{condition="above"}'
FAILED = 'koel_alert_deliveries_total{channel="email",outcome="failed"}'
DELIVERED = 'koel_alert_deliveries_total{channel="email",outcome="delivered"}'


def test_firings_and_deliveries_appear_and_move(scrape, land, rule, owner):
    before = scrape()
    assert "# TYPE koel_alert_rules_active gauge" in before  # the alerts' collector is there
    assert value(before, "koel_alert_rules_active") == 0
    rule("EUR", "USD", "above", "1.2", notify_email=True)
    land("ecb", ("EUR", "USD", "1.25", "2026-01-06T16:00"))
    fired = scrape()
    assert "# TYPE koel_alerts_fired_total counter" in fired
    assert value(fired, FIRED) == value(before, FIRED) + 1
    assert value(fired, DELIVERED) == value(before, DELIVERED) + 1
    assert value(fired, FAILED) == value(before, FAILED)
    assert value(fired, "koel_alert_rules_active") == 1
    # An owner without an address: the next firing's e-mail fails.
    owner.email = ""
    owner.save(update_fields=["email"])
    rule("EUR", "JPY", "below", "150", notify_email=True)
    land("ecb", ("EUR", "JPY", "149", "2026-01-07T16:00"))
    failed = scrape()
    assert value(failed, FAILED) == value(fired, FAILED) + 1
    assert value(failed, 'koel_alerts_fired_total{condition="below"}') == 1
    assert value(failed, "koel_alert_rules_active") == 2
