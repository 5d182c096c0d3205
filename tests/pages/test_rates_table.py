"""The rates table /rates/USD/ and the currencies page /currencies/, rendered by the server."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from pages.rates_table import rates_table
from rates.models import Currency
from rates.reads import invert


@pytest.fixture
def week_of_usd(store):
    """USD→EUR over a week (Mon … Fri), USD→JPY on Thu and Fri, EUR→GBP on Friday (a cross)."""
    store(
        "ecb",
        *[("USD", "EUR", rate, f"2024-01-0{day}T16:00") for day, rate in enumerate(
            ["0.90", "0.91", "0.915", "0.918", "0.92"], start=1
        )],
        ("USD", "EUR", "0.89", "2023-12-29T16:00"),
        ("USD", "JPY", "150", "2024-01-04T16:00"),
        ("USD", "JPY", "151.5", "2024-01-05T16:00"),
        ("EUR", "GBP", "0.86", "2024-01-05T16:00"),
    )  # fmt: skip


def rates_page(client, base="USD", **headers):
    return client.get(reverse("rates-table", args=[base]), **headers)


def test_rates_table_rows(week_of_usd):
    table = rates_table("USD")
    rows = {row.target: row for row in table.rows}

    assert list(rows) == ["EUR", "GBP", "JPY"]
    eur = rows["EUR"]
    assert (eur.answer.rate, eur.inverse) == (Decimal("0.92"), invert(Decimal("0.92")))
    # 24 h: against Thursday's 0.918; 7 d: against the Friday before (0.89).
    assert round(eur.change_day, 6) == round((Decimal("0.92") / Decimal("0.918") - 1) * 100, 6)
    assert round(eur.change_week, 6) == round((Decimal("0.92") / Decimal("0.89") - 1) * 100, 6)
    assert round(rows["JPY"].change_day, 2) == Decimal("1.00")
    assert rows["JPY"].change_week is None  # no JPY rate a week before
    assert rows["GBP"].answer.via == "EUR"


def test_rates_table_reads_a_few_statements_whatever_the_targets(week_of_usd, store):
    # Past rates.reads' few-targets threshold, each more target must not add a query.
    many = ["CHF", "CAD", "AUD", "NOK", "SEK", "DKK", "PLN", "CZK", "HUF", "RON"]
    store("ecb", *[("USD", c, "2", "2024-01-05T16:00") for c in many[:6]])
    rates_table("USD")  # the catalog is held in-process from here on
    with CaptureQueriesContext(connection) as few:
        rates_table("USD")
    store("ecb", *[("USD", c, "3", "2024-01-04T16:00") for c in many[6:]])
    rates_table("USD")
    with CaptureQueriesContext(connection) as more:
        table = rates_table("USD")

    assert (len(few), len(table.rows)) == (6, 13)
    assert len(more) == len(few)


def test_rates_page_renders_the_table(client, week_of_usd):
    response = rates_page(client)

    assert response.status_code == 200
    text = response.text
    assert '<tr data-code="EUR" data-filter="EUR Euro">' in text
    assert '<td class="num" data-sort="0.92" data-field="rate">0.92</td>' in text
    assert '<a href="/pair/USD/JPY/">🇯🇵 <strong>JPY</strong></a> Japanese Yen' in text
    assert ">1 %</td>" in text  # JPY's 24 h change, 150 → 151.5
    assert 'ecb <span class="muted">(via EUR)</span>' in text
    assert "ago</time>" in text
    assert "3 currencies." in text
    assert '<option value="USD" selected>' in text
    assert '<a href="/rates/USD/" aria-current="page">Rates</a>' in text


def test_rates_page_marks_stale_rates(client, week_of_usd):
    assert '<td data-sort="' in rates_page(client).text
    assert "(stale)" in rates_page(client).text  # 2024 rates are long past their window


def test_rates_page_in_the_readers_locale(client, week_of_usd):
    text = rates_page(client, HTTP_ACCEPT_LANGUAGE="de").text

    assert 'data-field="rate">0,92</td>' in text


def test_rates_page_sets_cache_control(client, week_of_usd):
    response = rates_page(client)

    assert response["Cache-Control"] == "public, max-age=60"
    assert "Accept-Language" in response["Vary"]


def test_rates_page_is_served_from_the_cache(client, week_of_usd, django_assert_max_num_queries):
    rates_page(client)
    with django_assert_max_num_queries(0):
        assert rates_page(client).status_code == 200


def test_rates_page_of_a_base_without_rates(client, week_of_usd):
    response = rates_page(client, "CHF")

    assert response.status_code == 200
    assert "Koel has no rates from CHF yet." in response.text


def test_rates_page_of_an_unknown_base_is_a_404(client, currencies):
    response = rates_page(client, "XYZ")

    assert response.status_code == 404
    assert "Koel knows no currency XYZ." in response.text


def test_rates_page_lower_case_redirects(client, currencies):
    assert rates_page(client, "eur")["Location"] == "/rates/EUR/"


def test_base_picker_form_redirects(client, currencies):
    pick = reverse("rates-pick")

    assert client.get(pick, {"base": "eur"})["Location"] == "/rates/EUR/"
    assert client.get(pick)["Location"] == "/rates/USD/"


def test_currencies_page_groups_and_coverage(client, week_of_usd):
    Currency.objects.filter(code="DEM").update(active=False)
    response = client.get(reverse("currencies"))

    assert response.status_code == 200
    groups = {g.key: g for g in response.context["groups"]}
    assert list(groups) == ["primary", "secondary", "other"]
    usd = next(c for c in groups["primary"].currencies if c.currency.code == "USD")
    assert (str(usd.first), str(usd.last), usd.sources) == ("2023-12-29", "2024-01-05", ["ecb"])
    assert "DEM" in {c.currency.code for c in groups["other"].currencies}
    text = response.text
    assert "<td>2023-12-29</td><td>2024-01-05</td><td>ecb</td>" in text
    assert '<tr data-code="CHF">' in text
    assert "No data yet" in text
    assert response["Cache-Control"] == "public, max-age=60"
