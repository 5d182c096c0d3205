"""Frankfurter v2 at /v2/, against the real ECB history plus a few providers of our own.

Formats and behaviour follow lineofflight/frankfurter's lib/versions/v2 and its OpenAPI spec.
"""

import csv
import io
import json
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from rates.compat.frankfurter import data
from rates.ingest.services import rates_upsert
from rates.models import Source
from rates.types import RateRow

from .test_frankfurter_v1 import TODAY, ecb_history  # noqa: F401 - the module-scoped history

NOT_FOUND = {"status": 404, "message": "not found"}


@pytest.fixture
def api(ecb_history, db, client, monkeypatch):  # noqa: F811
    monkeypatch.setattr(data, "today", lambda: TODAY)

    def get(path: str, **headers):
        return client.get(path, headers=headers)

    return get


@pytest.fixture
def market(api):
    """Four more providers quoting USD→GBP on 2024-01-02; DELTA's is an outlier."""
    when = datetime(2024, 1, 2, 15, tzinfo=UTC)
    for code, rate in (("alpha", "0.79"), ("beta", "0.791"), ("gamma", "0.7905"), ("delta", "1.5")):
        Source.objects.create(code=code, name=code.title(), priority=50)
        rates_upsert(source=code, rows=[RateRow("USD", "GBP", Decimal(rate), when)])


def test_rates_on_a_date_are_rows_of_one_pair_each(api):
    response = api("/v2/rates?date=2024-01-02&quotes=USD,GBP")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response.json() == [
        {"date": "2024-01-02", "base": "EUR", "quote": "GBP", "rate": 0.86645},
        {"date": "2024-01-02", "base": "EUR", "quote": "USD", "rate": 1.0956},
    ]


def test_latest_rates_include_the_base_identity_row_in_quote_order(api):
    rows = api("/v2/rates").json()
    quotes = [row["quote"] for row in rows]
    assert quotes == sorted(quotes)
    assert len(rows) == 30  # the ECB's 29 currencies today, and EUR itself
    assert {row["base"] for row in rows} == {"EUR"}
    assert {row["date"] for row in rows} == {"2026-10-30"}
    assert next(row for row in rows if row["quote"] == "EUR")["rate"] == 1.0
    assert next(row for row in rows if row["quote"] == "USD")["rate"] == 1.1172
    # Blended rates are rounded by magnitude: 20275.17 → 20275.
    assert next(row for row in rows if row["quote"] == "IDR")["rate"] == 20275


def test_a_weekend_date_snaps_to_friday(api):
    rows = api("/v2/rates?date=2024-01-06&quotes=USD").json()
    assert rows == [{"date": "2024-01-05", "base": "EUR", "quote": "USD", "rate": 1.0921}]


@pytest.mark.parametrize(
    "query", ["date=1901-01-01", "date=0001-01-01", "date=9999-12-31", "from=9999-01-01"]
)
def test_a_date_without_rates_is_an_empty_list(api, query):
    response = api(f"/v2/rates?{query}")
    assert response.status_code == 200
    assert response.json() == []


def test_another_base_is_derived_and_listed_with_its_identity_row(api):
    rows = api("/v2/rates?date=2024-01-02&base=USD&quotes=EUR,JPY,USD").json()
    assert rows == [
        {"date": "2024-01-02", "base": "USD", "quote": "EUR", "rate": 0.91274},
        {"date": "2024-01-02", "base": "USD", "quote": "JPY", "rate": 142.1},
        {"date": "2024-01-02", "base": "USD", "quote": "USD", "rate": 1.0},
    ]


def test_a_range_lists_each_day_sorted_by_date_then_quote(api):
    rows = api("/v2/rates?from=2024-01-01&to=2024-01-03&quotes=USD,GBP").json()
    assert [(r["date"], r["quote"], r["rate"]) for r in rows] == [
        ("2023-12-29", "GBP", 0.86905),  # the range's start is a holiday: the day before
        ("2023-12-29", "USD", 1.105),
        ("2024-01-02", "GBP", 0.86645),
        ("2024-01-02", "USD", 1.0956),
        ("2024-01-03", "GBP", 0.8647),
        ("2024-01-03", "USD", 1.0919),
    ]


def test_a_long_plain_range_is_served(api):
    rows = api("/v2/rates?from=2020-01-01&quotes=USD").json()
    assert rows[0]["date"] == "2019-12-31"  # 2020-01-01 had no fixing: the day before
    assert rows[-1] == {"date": "2026-10-30", "base": "EUR", "quote": "USD", "rate": 1.1172}
    assert len(rows) > 1700


def test_monthly_groups_average_each_month(api):
    rows = api("/v2/rates?from=2024-01-01&to=2024-02-29&quotes=USD&group=month").json()
    assert [row["date"] for row in rows] == ["2024-01-01", "2024-02-01"]
    january = [r.rates["USD"] for r in _ecb_days(date(2024, 1, 1), date(2024, 1, 31))]
    assert rows[0]["rate"] == pytest.approx(float(sum(january) / len(january)), abs=1e-4)


def test_weekly_groups_carry_frankfurters_week_labels(api):
    # Frankfurter labels a week Jan 1 + 7 × its %W number: the week of 2024-01-02 is
    # "2024-01-08", and the week of 2024-01-15 ("2024-01-22") falls past the range's end.
    rows = api("/v2/rates?from=2024-01-08&to=2024-01-21&quotes=USD&group=week").json()
    assert [row["date"] for row in rows] == ["2024-01-08", "2024-01-15"]
    assert rows[0]["rate"] == pytest.approx((1.0956 + 1.0919 + 1.0953 + 1.0921) / 4, abs=1e-4)


def test_a_single_named_provider_echoes_its_own_digits(api):
    blended = api("/v2/rates?date=2024-01-02&quotes=IDR").json()
    own = api("/v2/rates?date=2024-01-02&quotes=IDR&providers=ecb").json()
    assert blended[0]["rate"] == 17008  # rounded above 5000
    assert own[0]["rate"] == 17007.66  # the ECB's published rate


def test_providers_are_blended_and_outliers_flagged(api, market):
    rows = api("/v2/rates?date=2024-01-02&base=USD&quotes=GBP&expand=providers").json()
    assert rows == [
        {
            "date": "2024-01-02",
            "base": "USD",
            "quote": "GBP",
            # (0.79 + 0.791 + 0.7905 + 0.86645 / 1.0956) / 4; DELTA's 1.5 is left out.
            "rate": 0.79059,
            "providers": [
                {"key": "ALPHA", "date": "2024-01-02", "rate": 0.79},
                {"key": "BETA", "date": "2024-01-02", "rate": 0.791},
                {"key": "DELTA", "date": "2024-01-02", "rate": 1.5, "excluded": True},
                {"key": "ECB", "date": "2024-01-02", "rate": 0.79085},
                {"key": "GAMMA", "date": "2024-01-02", "rate": 0.7905},
            ],
        }
    ]


def test_the_providers_filter_restricts_the_blend(api, market):
    rows = api("/v2/rates?date=2024-01-02&base=USD&quotes=GBP&providers=alpha,BETA").json()
    assert rows == [{"date": "2024-01-02", "base": "USD", "quote": "GBP", "rate": 0.7905}]


def test_expand_providers_lists_each_providers_observation(api):
    rows = api("/v2/rates?date=2024-01-02&quotes=USD,EUR&expand=providers").json()
    assert rows == [
        {"date": "2024-01-02", "base": "EUR", "quote": "EUR", "rate": 1.0},
        {
            "date": "2024-01-02",
            "base": "EUR",
            "quote": "USD",
            "rate": 1.0956,
            "providers": [{"key": "ECB", "date": "2024-01-02", "rate": 1.0956}],
        },
    ]


def test_ndjson_on_request(api):
    response = api("/v2/rates?date=2024-01-02&quotes=USD,GBP", Accept="application/x-ndjson")
    assert response["Content-Type"] == "application/x-ndjson"
    assert "Accept" in response["Vary"]
    lines = response.content.decode().splitlines()
    assert [json.loads(line) for line in lines] == [
        {"date": "2024-01-02", "base": "EUR", "quote": "GBP", "rate": 0.86645},
        {"date": "2024-01-02", "base": "EUR", "quote": "USD", "rate": 1.0956},
    ]
    assert response.content.endswith(b"\n")


def test_csv_with_the_extension_even_when_ndjson_is_accepted(api):
    response = api("/v2/rates.csv?date=2024-01-02&quotes=USD,GBP", Accept="application/x-ndjson")
    assert response["Content-Type"].startswith("text/csv")
    assert response.content == (
        b"date,base,quote,rate\n2024-01-02,EUR,GBP,0.86645\n2024-01-02,EUR,USD,1.0956\n"
    )


def test_csv_of_a_range_with_providers(api):
    response = api("/v2/rates.csv?from=2024-01-02&to=2024-01-03&quotes=USD&expand=providers")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert list(rows[0]) == ["date", "base", "quote", "rate", "providers"]
    assert rows[0] == {
        "date": "2024-01-02",
        "base": "EUR",
        "quote": "USD",
        "rate": "1.0956",
        "providers": "ECB:1.0956",
    }
    assert len(rows) == 2


def test_csv_is_refused_elsewhere(api):
    assert api("/v2/currencies.csv").status_code == 406


def test_a_single_pair(api):
    assert api("/v2/rate/EUR/USD").json() == {
        "date": "2026-10-30",
        "base": "EUR",
        "quote": "USD",
        "rate": 1.1172,
    }
    assert api("/v2/rate/eur/usd?date=2024-01-02").json()["rate"] == 1.0956
    assert api("/v2/rate/EUR/USD?providers=ECB&date=2024-01-02").json()["rate"] == 1.0956


def test_a_same_currency_pair_is_the_identity(api):
    assert api("/v2/rate/USD/USD").json() == {
        "date": "2026-10-30",
        "base": "USD",
        "quote": "USD",
        "rate": 1.0,
    }


def test_a_pair_nobody_quotes_is_not_found(api):
    response = api("/v2/rate/EUR/CYP")  # retired in 2008
    assert response.status_code == 404
    assert response.json() == NOT_FOUND


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("/v2/rates?provider=ecb", "unknown parameter: provider"),
        ("/v2/rates?symbols=USD&amount=2", "unknown parameter: symbols, amount"),
        ("/v2/rates?date=not-a-date", "invalid date"),
        ("/v2/rates?from=2024-02-30", "invalid date"),
        ("/v2/rates?date=", "invalid date"),
        ("/v2/rates?date=2024-01-02&from=2024-01-01", "conflicting params"),
        ("/v2/rates?from=2024-01-01&group=day", "invalid group"),
        ("/v2/rates?expand=foo,providers,bar", "invalid expand: foo,bar"),
        ("/v2/rates?expand=", "invalid expand: "),
        ("/v2/rates?base=XYZ", "invalid currency: XYZ"),
        ("/v2/rates?base=", "invalid currency: "),
        ("/v2/rates?base=ABC&quotes=USD,XYZ", "invalid currency: ABC,XYZ"),
        ("/v2/rate/EUR/XYZ", "invalid currency: XYZ"),
        ("/v2/rate/EUR/USD?amount=1", "unknown parameter: amount"),
    ],
)
def test_unprocessable_requests_get_frankfurters_422(api, query, message):
    response = api(query)
    assert response.status_code == 422
    assert response.json() == {"status": 422, "message": message}
    assert response["Cache-Control"] == "no-store"


def test_long_daily_ranges_that_recompute_per_date_are_capped(api):
    response = api("/v2/rates?from=2000-01-01&expand=providers")
    assert response.status_code == 422
    message = response.json()["message"]
    assert message.startswith("date range exceeds 5 years at daily granularity")
    assert "group=week or group=month" in message
    assert "split the range" in message
    allowed = api("/v2/rates?from=2000-01-01&to=2000-02-01&providers=ecb&quotes=USD")
    assert allowed.status_code == 200


def test_currencies_lists_active_currencies_with_metadata(api):
    rows = api("/v2/currencies").json()
    codes = [row["iso_code"] for row in rows]
    assert codes == sorted(codes)
    assert "BGN" not in codes  # last quoted 2025-12-31: not active
    assert len(codes) == 30
    assert next(row for row in rows if row["iso_code"] == "USD") == {
        "iso_code": "USD",
        "iso_numeric": "840",
        "name": "United States Dollar",
        "symbol": "$",
        "start_date": "1999-01-04",
        "end_date": "2026-10-30",
    }


def test_currencies_of_every_scope_or_one_provider(api):
    everything = {row["iso_code"]: row for row in api("/v2/currencies?scope=all").json()}
    assert everything["CYP"]["start_date"] == "1999-01-04"
    assert everything["CYP"]["end_date"] == "2007-12-31"
    assert everything["CYP"]["name"] == "Cyprus Pound"
    assert "BGN" in everything
    by_provider = [row["iso_code"] for row in api("/v2/currencies?providers=ecb").json()]
    assert by_provider == sorted(everything)
    assert api("/v2/currencies?providers=nobody").json() == []


def test_metadata_routes_ignore_other_parameters_as_frankfurter_does(api):
    assert api("/v2/currencies?foo=1").json() == api("/v2/currencies").json()
    assert api("/v2/currencies?scope=legacy").json() == api("/v2/currencies").json()
    assert api("/v2/providers?key=ECB").status_code == 200
    assert api("/v2/currency/USD?x=1").status_code == 200


def test_one_currency_with_its_providers(api):
    assert api("/v2/currency/usd").json() == {
        "iso_code": "USD",
        "iso_numeric": "840",
        "name": "United States Dollar",
        "symbol": "$",
        "start_date": "1999-01-04",
        "end_date": "2026-10-30",
        "providers": ["ECB"],
    }


def test_an_unknown_currency_is_not_found(api):
    response = api("/v2/currency/xyz")
    assert response.status_code == 404
    assert response.json() == NOT_FOUND


def test_providers_are_koels_sources_with_rates(api, market):
    rows = {row["key"]: row for row in api("/v2/providers").json()}
    assert sorted(rows) == ["ALPHA", "BETA", "DELTA", "ECB", "GAMMA"]  # no source without rates
    ecb = rows["ECB"]
    assert ecb["name"] == "European Central Bank euro reference rates"
    assert ecb["country_code"] == "EU"
    assert ecb["rate_type"] == "reference rate"
    assert ecb["pivot_currency"] == "EUR"
    assert ecb["start_date"] == "1999-01-04"
    assert ecb["end_date"] == "2026-10-30"
    assert ecb["publish_cadence"] == "daily"
    assert ecb["publishes_missed"] == 0  # Saturday and Sunday between Friday and Monday
    assert "USD" in ecb["currencies"]
    assert rows["ALPHA"]["currencies"] == ["GBP", "USD"]
    assert rows["ALPHA"]["publish_cadence"] is None


def test_answers_carry_an_etag_and_a_matching_if_none_match_gets_304(api):
    first = api("/v2/rates?date=2024-01-02&quotes=USD")
    assert first["ETag"]
    again = api("/v2/rates?date=2024-01-02&quotes=USD", If_None_Match=first["ETag"])
    assert again.status_code == 304


def test_an_unknown_path_is_frankfurters_404(api):
    response = api("/v2/nothing")
    assert response.status_code == 404
    assert response.json() == NOT_FOUND


def _ecb_days(first: date, last: date):
    from rates.ingest.ecb_history import parse_history, read_text

    return [day for day in parse_history(read_text(_bundled())) if first <= day.day <= last]


def _bundled():
    from rates.ingest.ecb_history import BUNDLED_FILE

    return BUNDLED_FILE
