"""The currencies admin: filters by group, active and has-rates, search by code and name, the
precious metals found and turned on, and then offered wherever a currency is."""

from decimal import Decimal

import pytest
from django.urls import reverse

from pages.forms import ConverterForm
from pages.pickers import currency_options
from rates.ingest.loading import currencies_load
from rates.models import Currency
from rates.reads import active_codes, convert, rate_for

CHANGELIST = reverse("admin:rates_currency_changelist")
METALS = ["XAG", "XAU", "XPD", "XPT"]


def listed(client, **params) -> list[str]:
    response = client.get(CHANGELIST, params)
    assert response.status_code == 200
    return sorted(c.code for c in response.context["cl"].result_list)


def test_filters_by_group_and_active(admin_client, currencies):
    primary = listed(admin_client, group__exact="primary", active__exact="1")

    assert len(primary) == 15
    assert {"USD", "EUR", "JPY"} <= set(primary)


@pytest.mark.parametrize(("query", "found"), [("xau", "XAU"), ("Palladium", "XPD")])
def test_search_by_code_and_name(admin_client, currencies, query, found):
    assert found in listed(admin_client, q=query)


def test_has_rates_filter(admin_client, store):
    store(
        "ecb", ("EUR", "USD", "1.08", "2024-01-02T16:00"), ("EUR", "JPY", "160", "2024-01-02T16:00")
    )

    assert listed(admin_client, has_rates="yes") == ["EUR", "JPY", "USD"]
    without = listed(admin_client, has_rates="no")
    assert "GBP" in without
    assert not {"EUR", "JPY", "USD"} & set(without)


def test_precious_metals_filter_finds_the_four_inactive_metals(admin_client, currencies):
    assert listed(admin_client, kind="metal") == METALS
    assert listed(admin_client, kind="metal", active__exact="0") == METALS


def test_metals_keep_six_digits(currencies):
    # ISO 4217 gives metals no minor unit; CLDR's default 2 would round 0.01 oz of gold.
    assert set(
        Currency.objects.filter(code__in=METALS).values_list("decimal_digits", flat=True)
    ) == {6}


def test_turning_the_metals_on_offers_them_everywhere(admin_client, store, rate_row):
    store("ecb", ("USD", "XAU", "0.000385", "2024-01-02T16:00"))

    response = admin_client.post(
        CHANGELIST, {"action": "turn_on", "_selected_action": METALS}, follow=True
    )

    assert "4 currency(ies) turned on." in response.text
    assert set(METALS) <= set(active_codes())
    assert "XAU" in dict(ConverterForm(options=currency_options()).fields["target"].choices)
    api = admin_client.get("/api/v1/currencies/", {"active": "true", "limit": 500}).json()
    assert "XAU" in {c["code"] for c in api["results"]}
    answer = rate_for(base="USD", target="XAU")
    assert convert(Decimal("1000"), answer) == Decimal("0.385000")


def test_metals_turned_on_stay_on_when_currency_data_is_loaded_again(admin_client, currencies):
    admin_client.post(CHANGELIST, {"action": "turn_on", "_selected_action": ["XAU"]})

    currencies_load()

    xau = Currency.objects.get(code="XAU")
    assert (xau.active, xau.admin_edited) == (True, True)


def test_turn_off_takes_a_currency_out_of_the_offer(admin_client, currencies):
    admin_client.post(CHANGELIST, {"action": "turn_off", "_selected_action": ["NOK"]})

    assert "NOK" not in active_codes()
    assert Currency.objects.get(code="NOK").admin_edited is True


def test_metal_rates_are_accepted_while_the_metal_is_inactive(currencies, sources, rate_row):
    from rates.ingest.validation import rates_validate

    rows = [
        rate_row("USD", "XAU", "0.00037", "2026-11-19"),
        rate_row("USD", "BTC", "1", "2026-11-19"),
    ]

    valid = rates_validate(source="fawazahmed0", rows=rows, drop_invalid=True)

    assert [r.target for r in valid.rows] == ["XAU"]
    assert [e.message for e in valid.rejected] == ["unknown currency 'BTC'"]
