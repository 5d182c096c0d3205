"""Frankfurter v1 at /v1/, against the real ECB history (the bundled eurofxref-hist.zip).

Expected values are the ECB's published rates (e.g. 2024-01-02: 1 EUR = 1.0956 USD) and
Frankfurter's documented behaviour (lib/versions/v1, lib/roundable.rb).
"""

from datetime import date

import pytest
from django.db import transaction

from rates.compat.frankfurter import data
from rates.ingest.ecb_history import import_history
from rates.ingest.loading import currencies_load, sources_load

# The bundled history ends on Friday 2026-10-30; "today" is pinned to the Monday after.
TODAY = date(2026, 11, 2)
NOT_FOUND = {"message": "not found"}


@pytest.fixture(scope="module")
def ecb_history(django_db_setup, django_db_blocker):
    """The whole ECB history, imported once for the module inside a transaction that is
    rolled back at its end; each test's own transaction is a savepoint inside it."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            currencies_load()
            sources_load()
            import_history()
            yield
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def api(ecb_history, db, client, monkeypatch):
    monkeypatch.setattr(data, "today", lambda: TODAY)

    def get(path: str, **headers):
        return client.get(path, headers=headers)

    return get


def test_a_date_answers_the_ecb_rates_of_that_day(api):
    response = api("/v1/2024-01-02")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    body = response.json()
    assert list(body) == ["amount", "base", "date", "rates"]
    assert body["amount"] == 1.0
    assert body["base"] == "EUR"
    assert body["date"] == "2024-01-02"
    rates = body["rates"]
    assert rates["USD"] == 1.0956
    assert rates["GBP"] == 0.86645
    assert rates["JPY"] == 155.68
    assert rates["IDR"] == 17007.66  # not rounded: EUR base and amount 1 echo the ECB's digits
    assert rates["BGN"] == 1.9558
    assert "EUR" not in rates
    assert list(rates) == sorted(rates)
    assert len(rates) == 30


def test_numbers_are_json_numbers_with_frankfurters_digits(api):
    raw = api("/v1/2026-10-30?symbols=ISK,USD").content
    assert (
        raw == b'{"amount":1.0,"base":"EUR","date":"2026-10-30","rates":{"ISK":136.0,"USD":1.1172}}'
    )


def test_a_weekend_date_is_answered_with_fridays_rates(api):
    body = api("/v1/2024-01-06").json()  # a Saturday
    assert body["date"] == "2024-01-05"
    assert body["rates"]["USD"] == 1.0921


def test_a_holiday_is_answered_with_the_day_before(api):
    body = api("/v1/2024-01-01?symbols=USD").json()  # New Year: no fixing
    assert body == {"amount": 1.0, "base": "EUR", "date": "2023-12-29", "rates": {"USD": 1.105}}


@pytest.mark.parametrize("path", ["/v1/latest", "/v1/current"])
def test_latest_and_its_alias_answer_the_newest_ecb_day(api, path):
    body = api(f"{path}?symbols=USD,GBP").json()
    assert body == {
        "amount": 1.0,
        "base": "EUR",
        "date": "2026-10-30",
        "rates": {"GBP": 0.8338, "USD": 1.1172},
    }


def test_a_future_date_is_answered_with_the_latest_rates(api):
    body = api("/v1/2026-11-10?symbols=USD").json()
    assert body == {"amount": 1.0, "base": "EUR", "date": "2026-10-30", "rates": {"USD": 1.1172}}


def test_a_date_more_than_14_days_past_the_last_fixing_is_not_found(api):
    response = api("/v1/2026-11-20")
    assert response.status_code == 404
    assert response.json() == NOT_FOUND
    assert response["Cache-Control"] == "no-store"


def test_a_date_before_the_euro_is_not_found(api):
    response = api("/v1/1999-01-01")
    assert response.status_code == 404
    assert response.json() == NOT_FOUND


def test_calendar_edges_are_answered_not_crashed(api):
    assert api("/v1/0001-01-01").json() == NOT_FOUND
    assert api("/v1/9999-12-31").json() == NOT_FOUND
    body = api("/v1/0001-01-01..1999-01-05?symbols=USD").json()
    assert body["start_date"] == "1999-01-04"
    assert body["rates"] == {"1999-01-04": {"USD": 1.1789}, "1999-01-05": {"USD": 1.179}}


def test_first_day_of_the_series_carries_retired_currencies(api):
    rates = api("/v1/1999-01-04").json()["rates"]
    assert rates["CYP"] == 0.58231
    assert rates["TRL"] == 372274.0
    assert rates["USD"] == 1.1789


def test_other_bases_are_computed_through_the_euro_without_the_base(api):
    body = api("/v1/2024-01-02?from=USD&to=EUR,GBP,JPY").json()
    assert body == {
        "amount": 1.0,
        "base": "USD",
        "date": "2024-01-02",
        # Frankfurter rounds 1/1.0956, 0.86645/1.0956, 155.68/1.0956 by magnitude.
        "rates": {"EUR": 0.91274, "GBP": 0.79085, "JPY": 142.1},
    }


def test_base_and_symbols_are_case_insensitive_and_from_to_win(api):
    plain = api("/v1/2024-01-02?base=usd&symbols=gbp").json()
    aliased = api("/v1/2024-01-02?from=usd&to=gbp&base=JPY&symbols=CHF").json()
    assert (
        plain
        == aliased
        == {
            "amount": 1.0,
            "base": "USD",
            "date": "2024-01-02",
            "rates": {"GBP": 0.79085},
        }
    )


def test_a_rebased_answer_lists_every_other_currency_and_the_euro(api):
    rates = api("/v1/2024-01-02?base=GBP").json()["rates"]
    assert "GBP" not in rates
    assert rates["EUR"] == 1.1541  # 1 / 0.86645 = 1.15413…: four decimals above 1
    assert len(rates) == 30


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        # value > 5000: no decimals (an integer); > 80: 2; > 20: 3; > 1: 4; > 0.0001: 5; else 6
        ("10", {"GBP": 8.6645, "IDR": 170077, "JPY": 1556.8, "USD": 10.956}),
        ("0.5", {"GBP": 0.43323, "IDR": 8504, "JPY": 77.84, "USD": 0.5478}),
        ("0.00001", {"GBP": 9e-06, "IDR": 0.17008, "JPY": 0.00156, "USD": 1.1e-05}),
        ("1_000", {"GBP": 866.45, "IDR": 17007660, "JPY": 155680, "USD": 1095.6}),
        ("25abc", {"GBP": 21.661, "IDR": 425192, "JPY": 3892.0, "USD": 27.39}),
    ],
)
def test_amounts_are_converted_and_rounded_in_frankfurters_bands(api, amount, expected):
    body = api(f"/v1/2024-01-02?amount={amount}&symbols=USD,GBP,JPY,IDR").json()
    assert body["rates"] == expected
    assert isinstance(body["rates"]["IDR"], int | float)


def test_the_amount_is_echoed_as_a_number(api):
    raw = api("/v1/2024-01-02?amount=10&symbols=USD").content
    assert raw == b'{"amount":10.0,"base":"EUR","date":"2024-01-02","rates":{"USD":10.956}}'


def test_a_large_rate_is_an_integer(api):
    raw = api("/v1/2024-01-02?amount=10&symbols=IDR").content
    assert raw.endswith(b'"rates":{"IDR":170077}}')


def test_tiny_rebased_rates_get_six_decimals(api):
    # PROVENANCE.md: the spec's multipleOf 1e-05 is broken by values ≤ 0.0001 (6 decimals).
    body = api("/v1/2024-01-02?base=IDR&symbols=AUD").json()
    assert body["rates"] == {"AUD": 9.5e-05}  # 1.6147 / 17008 (17007.66 rounded first)


def test_a_range_answers_every_ecb_day_and_snaps_the_start_back(api):
    body = api("/v1/2023-12-31..2024-01-03?symbols=USD").json()
    assert list(body) == ["amount", "base", "start_date", "end_date", "rates"]
    assert body == {
        "amount": 1.0,
        "base": "EUR",
        "start_date": "2023-12-29",
        "end_date": "2024-01-03",
        "rates": {
            "2023-12-29": {"USD": 1.105},
            "2024-01-02": {"USD": 1.0956},
            "2024-01-03": {"USD": 1.0919},
        },
    }


def test_an_open_range_runs_to_today(api):
    body = api("/v1/2026-10-28..?symbols=USD,GBP&base=GBP").json()
    assert body["start_date"] == "2026-10-28"
    assert body["end_date"] == "2026-10-30"
    assert list(body["rates"]) == ["2026-10-28", "2026-10-29", "2026-10-30"]
    assert body["rates"]["2026-10-30"] == {"USD": 1.3399}  # 1.1172 / 0.8338


def test_a_range_with_an_amount_and_base(api):
    body = api("/v1/2024-01-02..2024-01-03?amount=100&from=GBP&to=USD").json()
    assert body["amount"] == 100.0
    # Frankfurter rounds the amount's rates first (100 × 0.86645 → 86.65, 100 × 1.0956 →
    # 109.56), then their ratio: 100 × 109.56 / 86.65 = 126.4397 → 126.44.
    assert body["rates"] == {"2024-01-02": {"USD": 126.44}, "2024-01-03": {"USD": 126.28}}


def test_a_range_in_the_future_or_reversed_is_not_found(api):
    assert api("/v1/2026-12-01..2026-12-31").status_code == 404
    assert api("/v1/2024-01-05..2024-01-02").json() == NOT_FOUND


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("/v1/latest?amount=0", "invalid amount"),
        ("/v1/latest?amount=-5", "invalid amount"),
        ("/v1/latest?amount=abc", "invalid amount"),
        ("/v1/latest?amount=", "invalid amount"),
        ("/v1/2024-02-30", "invalid date"),
        ("/v1/2010-31-01", "invalid date"),
        ("/v1/2024-01-02..2024-13-01", "invalid date"),
        ("/v1/latest?from=USD&to=USD", "bad currency pair"),
        ("/v1/latest?from=EUR&to=eur", "bad currency pair"),
        ("/v1/latest?amount=1e400", "Infinity"),
    ],
)
def test_unprocessable_requests_get_frankfurters_422(api, query, message):
    response = api(query)
    assert response.status_code == 422
    assert response.json() == {"message": message}
    assert response["Cache-Control"] == "no-store"


@pytest.mark.parametrize(
    "query",
    [
        "/v1/latest?base=XYZ",
        "/v1/latest?from=UAH",
        "/v1/latest?symbols=XYZ",
        "/v1/latest?base=USD?callback=?",
        "/v1/2024-01-02?base=CYP",  # retired in 2008: nothing to rebase through
    ],
)
def test_an_unknown_or_unquoted_currency_is_not_found(api, query):
    response = api(query)
    assert response.status_code == 404
    assert response.json() == NOT_FOUND


@pytest.mark.parametrize("query", ["symbols=", "to=", "base=", "from=", "amount="])
def test_an_empty_known_parameter_is_refused(api, query):
    assert 400 <= api(f"/v1/2024-01-02?{query}").status_code < 500


def test_unknown_parameters_are_ignored(api):
    plain = api("/v1/2024-01-02?symbols=USD")
    extra = api("/v1/2024-01-02?symbols=USD&callback=jsonp&app_id=x&places=2")
    assert extra.status_code == 200
    assert extra.json() == plain.json()


def test_unknown_currencies_among_symbols_are_dropped(api):
    assert api("/v1/2024-01-02?symbols=USD,XYZ").json()["rates"] == {"USD": 1.0956}


def test_currencies_lists_todays_ecb_currencies_with_names(api):
    body = api("/v1/currencies").json()
    assert body["USD"] == "United States Dollar"
    assert body["EUR"] == "Euro"
    assert body["GBP"] == "British Pound"
    assert body["CNY"] == "Chinese Renminbi Yuan"
    assert "BGN" not in body  # quoted until 2025-12-31 only
    assert list(body) == sorted(body)
    assert len(body) == 30


def test_currencies_are_those_of_the_newest_ecb_rates_held_when_they_are_old(api, monkeypatch):
    # Issue 9 item 8: anchored on the newest data held, not on today (it used to be {}).
    fresh = api("/v1/currencies").json()
    monkeypatch.setattr(data, "today", lambda: date(2027, 6, 1))
    response = api("/v1/currencies")
    assert response.status_code == 200
    assert response.json() == fresh


def test_answers_carry_an_etag_and_a_matching_if_none_match_gets_304(api):
    first = api("/v1/2024-01-02?symbols=USD")
    assert first["ETag"]
    assert first["Cache-Control"].startswith("public, max-age=")
    again = api("/v1/2024-01-02?symbols=USD", If_None_Match=first["ETag"])
    assert again.status_code == 304
    assert again.content == b""


def test_root_describes_the_version(api):
    assert api("/v1/").json()["version"] == "v1"


@pytest.mark.parametrize("path", ["/v1/foo", "/v1/latest/", "/v1/%0Ag..%0D", "/v1/2024-1-2"])
def test_an_unknown_path_is_frankfurters_404(api, path):
    response = api(path)
    assert response.status_code == 404
    assert response.json() == {"status": 404, "message": "not found"}


def test_other_methods_are_refused_with_allow(api, client):
    response = client.post("/v1/latest")
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD, OPTIONS"
    assert client.options("/v1/latest")["Allow"] == "GET, HEAD, OPTIONS"
    head = client.head("/v1/2024-01-02")
    assert head.status_code == 200
    assert head.content == b""


def test_amounts_share_one_cached_read_and_are_applied_per_request(api):
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    first = api("/v1/2024-01-02?amount=10&to=USD,JPY").json()
    with CaptureQueriesContext(connection) as captured:
        second = api("/v1/2024-01-02?to=USD,JPY&amount=2.5").json()

    assert first == {"amount": 10.0, "base": "EUR", "date": "2024-01-02",
                     "rates": {"JPY": 1556.8, "USD": 10.956}}  # fmt: skip
    assert second == {"amount": 2.5, "base": "EUR", "date": "2024-01-02",
                      "rates": {"JPY": 389.2, "USD": 2.739}}  # fmt: skip
    assert [q["sql"] for q in captured] == []  # the rows came from the cache
    assert len(cache.keys("compat:frankfurter:v1:*")) == 1
    assert cache.keys("answer*") == []  # no answer stored per amount


def test_an_amount_range_reads_once_for_every_amount(api):
    from django.core.cache import cache

    plain = api("/v1/2024-01-02..2024-01-05?from=USD&to=GBP").json()
    for amount in ("1", "3", "100"):
        body = api(f"/v1/2024-01-02..2024-01-05?from=USD&to=GBP&amount={amount}").json()
        assert body["amount"] == float(amount)
        assert list(body["rates"]) == list(plain["rates"])
    # Frankfurter rounds the euro rates times the amount first: 100 × 86.65 / 109.56.
    assert body["rates"]["2024-01-02"]["GBP"] == 79.089
    assert len(cache.keys("compat:frankfurter:v1:*")) == 1
