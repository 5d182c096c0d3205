"""The converter page at `/`, rendered by the server (no JavaScript): answers and every error."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from rates.types import RatePath


@pytest.fixture
def usd_rates(store):
    store(
        "ecb",
        ("USD", "EUR", "0.9", "2024-01-02T16:00"),
        ("USD", "EUR", "0.92", "2024-01-05T16:00"),
        ("USD", "JPY", "151.2345", "2024-01-05T16:00"),
        ("EUR", "GBP", "0.86", "2024-01-05T16:00"),
    )


def convert(client, **params):
    return client.get(reverse("converter"), params)


def test_converter_page_renders_form(client, currencies):
    response = client.get(reverse("converter"))

    assert response.status_code == 200
    assert "<h1>Currency converter</h1>" in response.text
    assert '<option value="USD" data-name="US Dollar"' in response.text
    assert response.context["result"] is None


def test_converter_page_uses_the_shared_layout(client, currencies):
    text = client.get(reverse("converter")).text

    assert '<a class="skip-link" href="#main">' in text
    assert '<a href="/" aria-current="page">Converter</a>' in text
    for href in ("/rates/USD/", "/currencies/", "/api/docs/", "/admin/"):
        assert f'href="{href}"' in text


def test_converter_page_sets_cache_control(client, currencies):
    response = client.get(reverse("converter"))

    assert response["Cache-Control"] == "public, max-age=60"
    assert "Accept-Language" in response["Vary"]


def test_converter_offers_active_currencies_with_flag_name_and_symbol(client, currencies):
    choices = dict(client.get(reverse("converter")).context["form"].fields["target"].choices)

    assert choices["JPY"] == "🇯🇵 JPY — Japanese Yen (¥)"
    assert choices["CHF"] == "🇨🇭 CHF — Swiss Franc"  # its symbol is its code: not repeated
    assert "DEM" not in choices
    assert len(choices) >= 155


def test_converter_converts_with_latest_rate(client, usd_rates):
    response = convert(client, amount="100", base="USD", target="EUR")

    assert response.status_code == 200
    result = response.context["result"]
    assert (result.converted, result.answer.path) == (Decimal("92.00"), RatePath.DIRECT)
    assert '<span data-field="amount">$100.00</span>' in response.text
    assert '<strong data-field="converted">€92.00</strong>' in response.text
    assert "1 USD = 0.92 EUR" in response.text
    assert "1 EUR = 1.086956521739 USD" in response.text
    assert '<dd data-field="sources">ecb</dd>' in response.text
    assert "2024-01-05 16:00 UTC" in response.text
    assert "ago</span>)" in response.text


def test_converter_writes_money_in_the_readers_locale(client, usd_rates):
    response = client.get(
        reverse("converter"),
        {"amount": "1234.5", "base": "USD", "target": "EUR"},
        headers={"accept-language": "de-DE,de;q=0.9,en;q=0.5"},
    )

    assert "1.234,50\xa0$" in response.text
    assert "1.135,74\xa0€" in response.text  # 1234.5 × 0.92, German grouping
    assert 'data-locale="de-DE"' in response.text


def test_converter_shows_an_amount_with_more_digits_than_its_currency_as_typed(client, usd_rates):
    response = convert(client, amount="0.125", base="USD", target="EUR")

    assert '<span data-field="amount">$0.125</span>' in response.text
    assert '<strong data-field="converted">€0.12</strong>' in response.text  # 0.115 → 0.12


def test_converter_converts_inverse_with_target_digits(client, usd_rates):
    response = convert(client, amount="1000", base="JPY", target="USD")

    assert response.context["result"].converted == Decimal("6.61")  # 1000 / 151.2345
    assert '<strong data-field="converted">$6.61</strong>' in response.text
    assert "inverse: a source quotes the opposite pair" in response.text


def test_converter_names_the_pivot_of_a_cross_rate(client, usd_rates):
    response = convert(client, amount="10", base="USD", target="GBP")

    answer = response.context["result"].answer
    assert (answer.path, answer.via) == (RatePath.CROSS, "EUR")
    assert "cross rate via EUR" in response.text


def test_converter_uses_rate_in_force_on_chosen_date(client, usd_rates):
    response = convert(client, amount="100", base="USD", target="EUR", date="2024-01-04")

    assert response.context["result"].converted == Decimal("90.00")


def test_converter_shows_the_rate_date_beside_a_weekend_date(client, usd_rates):
    response = convert(client, amount="100", base="USD", target="EUR", date="2024-01-06")

    assert response.context["result"].converted == Decimal("92.00")
    assert "You asked for Sat 2024-01-06; the rate is from Fri 2024-01-05" in response.text


def test_converter_hides_the_dates_when_they_agree(client, usd_rates):
    response = convert(client, amount="1", base="USD", target="EUR", date="2024-01-05")

    assert response.context["result"].dates_differ is False
    assert "You asked for" not in response.text


def test_converter_links_the_sparkline_to_the_pair_page(client, usd_rates):
    response = convert(client, amount="1", base="USD", target="JPY")

    assert '<a class="sparkline" id="sparkline" href="/pair/USD/JPY/">' in response.text


def test_converter_draws_the_30_days_up_to_the_rate_as_a_sparkline(client, usd_rates):
    response = convert(client, amount="1", base="USD", target="EUR")

    spark = response.context["result"].sparkline
    assert spark.count == 2  # the two days with a USD→EUR rate
    assert spark.points == "0.00,23.00 100.00,1.00"  # 0.90 at the bottom, 0.92 at the top
    assert 'data-points="2"><svg viewBox="0 0 100 24"' in response.text
    assert f'<polyline points="{spark.points}"/>' in response.text


def test_converter_sparkline_ends_at_a_historical_rates_date(client, usd_rates):
    response = convert(client, amount="1", base="USD", target="EUR", date="2024-01-03")

    assert response.context["result"].sparkline.count == 1  # 2024-01-05 is after it
    assert "0,12.00 100,12.00" in response.text  # one point: a level line


def test_converter_swap_without_javascript_exchanges_from_and_to(client, usd_rates):
    response = convert(client, amount="100", base="USD", target="EUR", swap="1")

    result = response.context["result"]
    assert (result.answer.base, result.answer.target) == ("EUR", "USD")
    assert result.converted == Decimal("108.70")  # 100 / 0.92


def test_converter_reads_codes_case_insensitively(client, usd_rates):
    response = convert(client, amount="1", base="usd", target="eur")

    assert response.context["result"].converted == Decimal("0.92")


def errors(response) -> dict:
    assert response.status_code == 200
    assert response.context["result"] is None
    return response.context["form"].errors


def test_converter_shows_error_for_same_currency(client, usd_rates):
    response = convert(client, amount="1", base="EUR", target="EUR")

    message = "Choose a currency other than the one you convert from."
    assert errors(response) == {"target": [message]}
    assert f'<ul class="errorlist" id="id_target_error"><li>{message}</li></ul>' in response.text


def test_converter_selects_no_currency_for_an_unknown_code(client, usd_rates):
    response = convert(client, amount="1", base="XYZ", target="EUR")

    assert '<option value="">Choose a currency</option>' in response.text
    assert response.text.count(" selected>") == 1  # only To's EUR: From falls to the placeholder


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        (
            {"amount": "abc"},
            "amount",
            "'abc' is not a number: enter an amount such as 100 or 12.50.",
        ),
        ({"amount": "1e999"}, "amount", "Amount must be below 1E+30."),
        ({"amount": "-5"}, "amount", "Amount must be a finite number ≥ 0, got -5."),
        ({"amount": "NaN"}, "amount", "Amount must be a finite number ≥ 0, got NaN."),
        ({"amount": ""}, "amount", "This field is required."),
        ({"base": "XYZ"}, "base", "Unknown currency code XYZ: choose one from the list."),
        ({"target": "DEM"}, "target", "Unknown currency code DEM: choose one from the list."),
        ({"date": "2024-02-30"}, "date", "Enter a date as YYYY-MM-DD, e.g. 2024-01-05."),
        ({"date": "0001-01-01"}, "date", "Koel holds no rates before 1900-01-01."),
    ],
)
def test_converter_shows_form_errors_next_to_the_field(client, usd_rates, params, field, message):
    response = convert(client, **{"amount": "1", "base": "USD", "target": "EUR", **params})

    assert errors(response) == {field: [message]}
    assert f'id="id_{field}_error"><li>' in response.text
    assert 'aria-invalid="true"' in response.text


def test_converter_rejects_a_date_in_the_future(client, usd_rates):
    tomorrow = (timezone.now() + timedelta(days=1)).date().isoformat()
    response = convert(client, amount="1", base="USD", target="EUR", date=tomorrow)

    assert errors(response) == {"date": [f"{tomorrow} is in the future: choose today or earlier."]}


def test_converter_says_when_a_date_is_before_any_data(client, usd_rates, settings):
    settings.KOEL_RATE_LOOKBACK_DAYS = 14
    response = convert(client, amount="1", base="USD", target="EUR", date="2023-06-01")

    assert errors(response) == {
        "date": [
            "No USD → EUR rate on 2023-06-01 or in the 14 days before it: choose a later date."
        ]
    }


def test_converter_shows_not_found_message(client, usd_rates):
    response = convert(client, amount="1", base="GBP", target="CHF")

    assert response.status_code == 200
    assert response.context["error"] == "Koel has no rate from GBP to CHF yet."
    assert (
        '<p class="error" id="converter-error" role="alert">'
        "Koel has no rate from GBP to CHF yet.</p>" in response.text
    )


def test_converter_page_is_rendered_once_per_write(
    client, usd_rates, store, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    query = {"amount": "10", "base": "USD", "target": "EUR"}
    first = convert(client, **query)

    with django_assert_max_num_queries(0):
        again = convert(client, **query)
    with django_capture_on_commit_callbacks(execute=True):
        store("ecb", ("USD", "EUR", "0.95", "2024-01-06T16:00"))
    after = convert(client, **query)

    assert again.content == first.content
    assert after.context["result"].converted == Decimal("9.50")
    assert "max-age=60" in again["Cache-Control"]
