""" "Latest" is the newest data Koel holds, in every compatible layer (issue 9, item 8).

A fresh install without internet, holding only the bundled ECB history (which ends on Friday
2026-10-30), a month or months later — as an install whose sources failed since then. Each layer
answers its last rates with their real date, not 404, {} or []. (Rates a month old by the real
clock: test_latest_after_failures.py.)
"""

from datetime import UTC, date, datetime

import pytest

from rates.compat.frankfurter import data

from .test_frankfurter_v1 import TODAY, ecb_history  # noqa: F401 - the module-scoped history

KEY = "test-key"
LAST_DAY = "2026-10-30"  # the bundled history's last ECB day
LAST_INSTANT = int(datetime(2026, 10, 30, 15, tzinfo=UTC).timestamp())
# A month of failed scrapes, and an offline install opened seven months after its data ends.
LATER = [date(2026, 12, 2), date(2027, 6, 1)]


@pytest.fixture
def offline(ecb_history, db, client, monkeypatch, settings):  # noqa: F811
    settings.KOEL_COMPAT_KEYS = [KEY]

    def get(path: str, today: date):
        monkeypatch.setattr(data, "today", lambda: today)
        return client.get(path)

    return get


@pytest.mark.parametrize("today", LATER)
def test_v1_latest_answers_the_last_ecb_day_with_its_date(offline, today):
    response = offline("/v1/latest?symbols=USD,GBP", today)

    assert response.status_code == 200
    assert response.json() == {
        "amount": 1.0,
        "base": "EUR",
        "date": LAST_DAY,
        "rates": {"GBP": 0.8338, "USD": 1.1172},
    }
    # Exactly what Frankfurter answered while the data was fresh.
    assert response.content == offline("/v1/latest?symbols=USD,GBP", TODAY).content
    assert offline("/v1/latest?amount=10&to=USD", today).json()["rates"] == {"USD": 11.172}


@pytest.mark.parametrize("today", LATER)
def test_v1_currencies_are_still_listed(offline, today):
    listed = offline("/v1/currencies", today).json()

    assert len(listed) == 30
    assert listed == offline("/v1/currencies", TODAY).json()


def test_an_explicit_date_past_the_carry_forward_is_still_not_found(offline):
    # Frankfurter's rule for a date someone asks for is kept: only "latest" follows the data.
    assert offline("/v1/2026-11-20", LATER[0]).status_code == 404


@pytest.mark.parametrize("today", LATER)
def test_v2_rates_currencies_and_a_pair_answer_the_last_rates(offline, today):
    rates = offline("/v2/rates", today).json()
    assert len(rates) == 30
    assert {row["date"] for row in rates} == {LAST_DAY}
    assert rates == offline("/v2/rates", TODAY).json()

    assert offline("/v2/rate/EUR/USD", today).json() == {
        "date": LAST_DAY,
        "base": "EUR",
        "quote": "USD",
        "rate": 1.1172,
    }
    currencies = offline("/v2/currencies", today).json()
    assert currencies
    assert currencies == offline("/v2/currencies", TODAY).json()


@pytest.mark.parametrize("today", LATER)
def test_v2_providers_say_how_many_publications_were_missed(offline, today):
    (ecb,) = offline("/v2/providers", today).json()

    assert ecb["end_date"] == LAST_DAY
    assert ecb["publishes_missed"] > 10  # staleness is told, not hidden


def test_oxr_and_fixer_latest_answer_the_bundled_history(offline):
    oxr = offline(f"/api/latest.json?app_id={KEY}&symbols=EUR", LATER[0]).json()
    fixer = offline(f"/fixer/latest?access_key={KEY}&symbols=USD", LATER[0]).json()

    assert oxr["timestamp"] == LAST_INSTANT
    assert oxr["rates"] == {"EUR": pytest.approx(1 / 1.1172, rel=1e-9)}
    assert (fixer["date"], fixer["timestamp"], fixer["rates"]) == (
        LAST_DAY,
        LAST_INSTANT,
        {"USD": 1.1172},
    )
