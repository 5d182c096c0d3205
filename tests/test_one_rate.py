"""One rate for one pair at one moment, whoever asks: the converter page, Koel's API and the
Open Exchange Rates layer all answer from rates.reads (issue 9, item 1).

Three sources quote EUR→USD at the same instant and disagree. The latest rate is their blend
(the median, 1.085); "freshest wins" would tie and fall to the best priority (ecb, 1.084), and
a plain mean would be 1.0863…, so a reader going its own way gives itself away. At an instant the
rule is the observation in force then, a tie going to the best priority (ecb).
"""

from decimal import Decimal

import pytest
from django.urls import reverse

KEY = "one-rate-key"
QUOTES = {"ecb": "1.0840", "alpha": "1.0850", "beta": "1.0900"}
DAY = "2024-01-02"


@pytest.fixture
def disagreeing(store, settings):
    settings.KOEL_COMPAT_KEYS = [KEY]
    for source, rate in QUOTES.items():
        store(source, ("EUR", "USD", rate, f"{DAY}T15:00"))


def page(client, **params) -> tuple[Decimal, Decimal]:
    response = client.get(reverse("converter"), {"amount": "100", **params})
    assert response.status_code == 200, response.text
    result = response.context["result"]
    assert result is not None, response.context["error"]
    return result.answer.rate, result.converted


def api(client, **params) -> tuple[Decimal, Decimal]:
    response = client.get("/api/v1/convert/", {"amount": "100", **params})
    assert response.status_code == 200, response.content
    body = response.json()
    return Decimal(body["rate"]), Decimal(body["converted"])


def oxr(client) -> tuple[Decimal, Decimal]:
    response = client.get("/api/convert/100/EUR/USD", {"app_id": KEY})
    assert response.status_code == 200, response.content
    body = response.json()
    return Decimal(str(body["meta"]["rate"])), Decimal(str(body["response"]))


def test_latest_rate_is_the_same_for_page_api_and_oxr(client, disagreeing):
    expected = (Decimal("1.085"), Decimal("108.50"))

    assert page(client, base="EUR", target="USD") == expected
    assert api(client, **{"from": "EUR", "to": "USD"}) == expected
    assert oxr(client) == expected


def test_rate_at_an_instant_is_the_same_for_page_and_api(client, disagreeing, store):
    store("alpha", ("EUR", "USD", "1.2000", "2024-01-03T15:00"))  # the next day: not in force
    expected = (Decimal("1.084"), Decimal("108.40"))

    assert page(client, base="EUR", target="USD", date=DAY) == expected
    assert api(client, **{"from": "EUR", "to": "USD", "date": DAY}) == expected


def test_the_inverse_pair_agrees_too(client, disagreeing):
    rate, converted = page(client, base="USD", target="EUR")

    assert (rate, converted) == api(client, **{"from": "USD", "to": "EUR"})
    assert converted == Decimal("92.17")  # 100 / 1.085 = 92.165…
