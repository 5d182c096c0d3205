"""OXR and Fixer "latest" after a month of failed scrapes (by the real clock): the newest rates
held, with their real instant and date (issue 9, item 8)."""

from datetime import UTC, datetime, timedelta

import pytest

KEY = "test-key"


@pytest.fixture
def failed_for_a_month(store, settings):
    """Sources whose last successful scrape was 35 days ago (by the real clock)."""
    settings.KOEL_COMPAT_KEYS = [KEY]
    last = (datetime.now(UTC) - timedelta(days=35)).replace(microsecond=0)
    store(
        "ecb",
        ("EUR", "USD", "1.0800", last.isoformat()),
        ("EUR", "GBP", "0.8500", last.isoformat()),
    )
    return last


def test_oxr_latest_and_convert_answer_rates_a_month_old(client, failed_for_a_month):
    last = failed_for_a_month
    latest = client.get(f"/api/latest.json?app_id={KEY}&base=EUR").json()
    converted = client.get(f"/api/convert/100/EUR/GBP?app_id={KEY}").json()
    today = client.get(f"/api/historical/{datetime.now(UTC).date()}.json?app_id={KEY}&base=EUR")

    assert latest["timestamp"] == int(last.timestamp())
    assert latest["rates"] == {"EUR": 1, "GBP": 0.85, "USD": 1.08}
    assert (converted["meta"]["timestamp"], converted["response"]) == (int(last.timestamp()), 85)
    assert today.json() == latest


def test_fixer_latest_answers_rates_a_month_old_with_their_date(client, failed_for_a_month):
    body = client.get(f"/fixer/latest?access_key={KEY}").json()

    assert body["date"] == failed_for_a_month.date().isoformat()
    assert body["rates"] == {"EUR": 1, "GBP": 0.85, "USD": 1.08}
