""" "Latest" is the newest data Koel holds, however old (issue 9, item 8), and says how old it is;
an amount is applied to a cached rate, never looked up (item 7)."""

from datetime import UTC, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from rates.models import Currency

RATES = reverse("api:rates")
CONVERT = reverse("api:convert")
DAY = 86_400


def ago(**delta) -> str:
    return (timezone.now() - timedelta(**delta)).astimezone(UTC).isoformat()


@pytest.fixture
def offline_install(store):
    """What a fresh install without internet holds: the bundled ECB history, which ends weeks
    before today (EUR against its currencies, at 15:00 UTC each working day)."""
    for days, usd, jpy in [(40, "1.0801", "161.2"), (33, "1.0842", "162.1")]:
        when = ago(days=days)
        store("ecb", ("EUR", "USD", usd, when), ("EUR", "JPY", jpy, when))


def test_fresh_offline_install_answers_the_newest_rates_it_holds_as_stale(client, offline_install):
    body = client.get(RATES, {"base": "EUR"}).json()

    by_target = {r["target"]: r for r in body["rates"]}
    assert (by_target["USD"]["rate"], by_target["JPY"]["rate"]) == ("1.0842", "162.1")
    assert {r["stale"] for r in body["rates"]} == {True}
    assert 33 * DAY - 60 <= by_target["USD"]["age_seconds"] <= 33 * DAY + 60
    assert by_target["USD"]["rate_date"] == ago(days=33)[:10]


def test_offline_install_converts_at_the_newest_rate_and_says_it_is_stale(client, offline_install):
    body = client.get(CONVERT, {"from": "USD", "to": "JPY", "amount": "10"}).json()

    assert (body["path"], body["via"], body["stale"]) == ("cross", "EUR", True)
    assert body["converted"] == str(round(Decimal(10) / Decimal("1.0842") * Decimal("162.1")))


def test_sources_that_failed_for_a_month_still_answer_their_last_rates(client, store):
    store("alpha", ("USD", "CHF", "0.88", ago(days=45)))
    store("alpha", ("USD", "CHF", "0.90", ago(days=31)))  # the last scrape that worked
    store("beta", ("USD", "CHF", "0.91", ago(days=31, hours=2)))

    [rate] = client.get(RATES, {"base": "USD", "target": "CHF"}).json()["rates"]

    assert (rate["rate"], rate["source"], rate["stale"]) == ("0.905", "blend", True)
    assert rate["age_seconds"] >= 31 * DAY - 60


def test_a_rate_within_its_refresh_window_is_not_stale(client, store, settings):
    settings.KOEL_BLEND_WINDOW_HOURS = {"primary": 6, "secondary": 12}
    store("alpha", ("USD", "EUR", "0.92", ago(hours=5)), ("USD", "XOF", "600", ago(hours=7)))

    rates = client.get(RATES, {"base": "USD", "symbols": "EUR,XOF"}).json()["rates"]

    # EUR is primary (6 h), XOF secondary (12 h): both within their windows
    assert [(r["target"], r["stale"]) for r in rates] == [("EUR", False), ("XOF", False)]


def test_a_rate_older_than_its_refresh_window_is_stale(client, store, settings):
    settings.KOEL_BLEND_WINDOW_HOURS = {"primary": 6, "secondary": 12}
    store("alpha", ("USD", "EUR", "0.92", ago(hours=7)), ("USD", "XOF", "600", ago(hours=13)))

    rates = client.get(RATES, {"base": "USD", "symbols": "EUR,XOF"}).json()["rates"]

    assert [(r["target"], r["stale"]) for r in rates] == [("EUR", True), ("XOF", True)]


def test_rates_at_an_instant_carry_no_staleness(client, offline_install):
    body = client.get(RATES, {"base": "EUR", "target": "USD", "at": ago(days=33)[:10]}).json()

    assert "stale" not in body["rates"][0]


def test_a_new_amount_is_applied_to_the_cached_rate_without_a_query(
    client, store, django_assert_num_queries
):
    store("alpha", ("EUR", "USD", "1.25", ago(hours=1)))
    assert client.get(CONVERT, {"from": "EUR", "to": "USD", "amount": "1"}).status_code == 200
    assert client.get(RATES, {"base": "EUR", "target": "USD", "amount": "1"}).status_code == 200

    with django_assert_num_queries(0):
        converted = client.get(CONVERT, {"from": "EUR", "to": "USD", "amount": "7.77"}).json()
        rates = client.get(RATES, {"base": "EUR", "target": "USD", "amount": "2"}).json()
        again = client.get(RATES, {"base": "EUR", "target": "USD", "amount": "3"}).json()

    assert (converted["amount"], converted["converted"]) == ("7.77", "9.71")
    assert (rates["amount"], rates["rates"][0]["converted"]) == ("2", "2.50")
    assert (again["amount"], again["rates"][0]["converted"]) == ("3", "3.75")


def test_the_currency_list_is_cached_and_a_currency_edit_invalidates_it(
    client, currencies, django_assert_num_queries, django_capture_on_commit_callbacks
):
    first = client.get("/api/v1/currencies/", {"search": "swiss"}).json()
    with django_assert_num_queries(0):
        assert client.get("/api/v1/currencies/", {"search": "swiss"}).json() == first

    with django_capture_on_commit_callbacks(execute=True):
        Currency.objects.filter(code="CHF").update(name="Swiss Franc (edited)")
        Currency.objects.get(code="CHF").save()

    [chf] = client.get("/api/v1/currencies/", {"search": "swiss"}).json()["results"]
    assert chf["name"] == "Swiss Franc (edited)"
