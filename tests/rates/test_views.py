from decimal import Decimal

import pytest
from django.urls import reverse

from rates.types import RatePath


@pytest.fixture
def usd_rates(store):
    store(
        "ecb",
        ("USD", "EUR", "0.9", "2024-01-02T16:00"),
        ("USD", "EUR", "0.92", "2024-01-05T16:00"),
        ("USD", "JPY", "151.2345", "2024-01-05T16:00"),
    )


def convert(client, **params):
    return client.get(reverse("converter"), params)


def test_converter_page_renders_form(client, currencies):
    response = client.get(reverse("converter"))

    assert response.status_code == 200
    assert "<h1>Currency converter</h1>" in response.text
    assert '<option value="USD" selected>' in response.text
    assert response.context["result"] is None


def test_converter_offers_only_active_currencies(client, currencies):
    choices = dict(client.get(reverse("converter")).context["form"].fields["target"].choices)

    assert choices["JPY"] == "🇯🇵 JPY — Japanese Yen"
    assert "DEM" not in choices
    assert len(choices) >= 155


def test_converter_converts_with_latest_rate(client, usd_rates):
    response = convert(client, amount="100", base="USD", target="EUR")

    assert response.status_code == 200
    result = response.context["result"]
    assert (result["converted"], result["answer"].path) == (Decimal("92.00"), RatePath.DIRECT)
    assert "100 USD = <strong>92.00 EUR</strong>" in response.text
    assert "source ecb" in response.text


def test_converter_converts_inverse_with_target_digits(client, usd_rates):
    response = convert(client, amount="1000", base="JPY", target="USD")

    assert "1000 JPY = <strong>6.61 USD</strong>" in response.text  # 1000 / 151.2345
    assert "(inverse;" in response.text


def test_converter_uses_rate_in_force_on_chosen_date(client, usd_rates):
    response = convert(client, amount="100", base="USD", target="EUR", date="2024-01-04")

    assert response.context["result"]["converted"] == Decimal("90.00")


def test_converter_shows_error_for_same_currency(client, usd_rates):
    response = convert(client, amount="1", base="EUR", target="EUR")

    assert response.status_code == 200
    assert response.context["form"].errors == {
        "target": ["Choose a currency other than the one you convert from."]
    }
    assert "Choose a currency other than the one you convert from." in response.text
    assert response.context["result"] is None


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"amount": "-5", "base": "USD", "target": "EUR"}, "amount"),
        ({"amount": "abc", "base": "USD", "target": "EUR"}, "amount"),
        ({"amount": "1", "base": "XYZ", "target": "EUR"}, "base"),
        ({"amount": "1", "base": "USD", "target": "DEM"}, "target"),
        ({"amount": "1", "base": "USD", "target": "EUR", "date": "2024-02-30"}, "date"),
    ],
)
def test_converter_shows_form_errors(client, usd_rates, params, field):
    response = convert(client, **params)

    assert list(response.context["form"].errors) == [field]
    assert response.context["result"] is None


def test_converter_shows_not_found_message(client, usd_rates):
    response = convert(client, amount="1", base="GBP", target="CHF")

    assert response.status_code == 200
    assert response.context["error"] == "No rate GBP -> CHF."
    assert '<p class="error" role="alert">No rate GBP -&gt; CHF.</p>' in response.text


def test_converter_shows_lookback_message_for_old_date(client, usd_rates, settings):
    settings.KOEL_RATE_LOOKBACK_DAYS = 14
    response = convert(client, amount="1", base="USD", target="EUR", date="2023-06-01")

    assert response.context["error"] == (
        "No rate USD -> EUR in the 14 days up to 2023-06-01T23:59:59.999999+00:00."
    )


def test_healthz_reports_ok(client, db):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_healthz_answers_plain_http_when_https_is_enforced(client, db, settings):
    settings.SECURE_SSL_REDIRECT = True

    assert client.get("/healthz").status_code == 200  # probes stay on plain HTTP
    redirected = client.get("/")
    assert (redirected.status_code, redirected["Location"]) == (301, "https://testserver/")
