"""GET /api/v1/rates/, /convert/, /rates/history/: answers, errors, caching."""

from decimal import Decimal

import pytest
from django.urls import reverse

from rates.ingest.services import rates_upsert
from rates.types import RateRow

RATES = reverse("api:rates")
CONVERT = reverse("api:convert")
HISTORY = reverse("api:history")


@pytest.fixture
def market(store):
    """EUR→USD quoted by three sources (one an outlier), plus ECB history days."""
    store(
        "ecb",
        ("EUR", "USD", "1.0956", "2024-01-02T15:00"),
        ("EUR", "JPY", "155.61", "2024-01-02T15:00"),
    )
    store(
        "ecb",
        ("EUR", "USD", "1.0919", "2024-01-03T15:00"),
        ("EUR", "JPY", "156.08", "2024-01-03T15:00"),
    )
    store(
        "ecb",
        ("EUR", "USD", "1.0921", "2024-01-05T15:00"),
        ("EUR", "JPY", "157.70", "2024-01-05T15:00"),
    )
    store("alpha", ("EUR", "USD", "1.0930", "2024-01-05T14:00"))
    store("beta", ("EUR", "USD", "1.2000", "2024-01-05T13:00"))  # +9.9%: an outlier


def get(client, url, **params):
    return client.get(url, params)


def error(response) -> tuple[int, str, str | None]:
    body = response.json()["error"]
    return response.status_code, body["code"], body["field"]


def test_latest_pair_is_the_median_of_fresh_quotes_without_outliers(client, market):
    response = get(client, RATES, base="EUR", target="USD", amount="100", expand="sources")

    assert response.status_code == 200
    body = response.json()
    [rate] = body["rates"]
    assert (body["base"], body["amount"], body["missing"]) == ("EUR", "100", [])
    assert rate["rate"] == "1.09255"  # median of 1.0921 (ecb) and 1.0930 (alpha)
    assert rate["converted"] == "109.26"
    assert (rate["source"], rate["sources"], rate["path"], rate["derived"]) == (
        "blend",
        ["alpha", "ecb"],
        "direct",
        False,
    )
    assert rate["observed_at"] == "2024-01-05T15:00:00+00:00"
    assert rate["rate_date"] == "2024-01-05"
    beta = next(q for q in rate["quotes"] if q["source"] == "beta")
    assert beta["excluded"] is True
    assert beta["reason"].startswith("more than 1% from the median")


def test_source_pins_one_source(client, market):
    [rate] = get(client, RATES, base="EUR", target="USD", source="beta").json()["rates"]

    assert (rate["rate"], rate["source"]) == ("1.2000", "beta")


def test_inverse_and_cross_rates_are_labelled(client, market):
    body = get(client, RATES, base="USD", symbols="EUR,JPY").json()

    by_target = {r["target"]: r for r in body["rates"]}
    assert by_target["EUR"]["path"] == "inverse"
    assert by_target["EUR"]["derived"] is True
    assert by_target["JPY"]["path"] == "cross"
    assert by_target["JPY"]["via"] == "EUR"


def test_rate_at_a_weekend_date_says_which_day_answered(client, market):
    body = get(client, RATES, base="EUR", target="USD", at="2024-01-07").json()

    [rate] = body["rates"]
    assert (body["requested_date"], rate["rate_date"]) == ("2024-01-07", "2024-01-05")
    assert rate["rate"] == "1.0921"  # at an instant: the freshest (ecb 15:00 beats alpha 14:00)


def test_all_targets_list_what_is_missing(client, market):
    body = get(client, RATES, base="EUR", symbols="USD,JPY,GBP").json()

    assert [r["target"] for r in body["rates"]] == ["USD", "JPY"]
    assert body["missing"] == ["GBP"]


@pytest.mark.parametrize(
    ("params", "status", "code", "field"),
    [
        ({"base": "XYZ", "target": "USD"}, 400, "unknown_currency", "base"),
        ({"base": "EUR", "target": "XYZ"}, 400, "unknown_currency", "target"),
        ({"base": "EUR", "target": "EUR"}, 400, "invalid", "target"),
        ({"base": "EURO"}, 400, "invalid", "base"),
        ({"target": "USD"}, 400, "invalid", "base"),
        ({"base": "EUR", "symbols": ""}, 400, "invalid", "symbols"),
        ({"base": "EUR", "symbols": "USD,12"}, 400, "invalid", "symbols"),
        ({"base": "EUR", "target": "USD", "amount": "-1"}, 400, "invalid", "amount"),
        ({"base": "EUR", "target": "USD", "amount": "1e400"}, 400, "invalid", "amount"),
        ({"base": "EUR", "target": "USD", "amount": "ten"}, 400, "invalid", "amount"),
        ({"base": "EUR", "target": "USD", "at": "2024-13-01"}, 400, "invalid", "at"),
        ({"base": "EUR", "target": "USD", "at": "2999-01-01"}, 400, "invalid", "at"),
        ({"base": "EUR", "target": "USD", "symbol": "GBP"}, 400, "invalid", "symbol"),
        ({"base": "EUR", "target": "GBP"}, 404, "not_found", None),
        ({"base": "EUR", "target": "USD", "at": "1990-01-01"}, 404, "not_found", None),
    ],
)
def test_bad_questions_get_the_error_envelope(client, market, params, status, code, field):
    assert error(get(client, RATES, **params)) == (status, code, field)


def test_convert_rounds_to_the_target_minor_unit(client, market):
    body = get(
        client, CONVERT, **{"from": "EUR", "to": "JPY", "amount": "10.5", "date": "2024-01-03"}
    ).json()

    assert (body["from"], body["to"], body["rate"], body["converted"]) == (
        "EUR",
        "JPY",
        "156.08",
        "1639",
    )
    assert (body["requested_date"], body["rate_date"]) == ("2024-01-03", "2024-01-03")


def test_convert_errors_name_the_parameter(client, market):
    assert error(get(client, CONVERT, **{"from": "EUR", "to": "EUR", "amount": "1"})) == (
        400,
        "invalid",
        "to",
    )
    assert error(get(client, CONVERT, **{"from": "EUR", "to": "USD"})) == (400, "invalid", "amount")


def test_history_has_buckets_and_a_summary(client, market):
    body = get(
        client,
        HISTORY,
        base="EUR",
        target="JPY",
        start="2024-01-01",
        end="2024-01-07",
        source="ecb",
    ).json()

    assert [p["value"] for p in body["points"]] == ["155.61", "156.08", "157.70"]
    assert body["summary"] == {
        "min": "155.61",
        "max": "157.70",
        "first": "155.61",
        "last": "157.70",
        "change": "2.09",
        "change_pct": "1.34310134310134310",
    }


def test_history_as_csv(client, market):
    response = get(
        client,
        HISTORY,
        base="EUR",
        target="JPY",
        start="2024-01-01",
        end="2024-01-07",
        format="csv",
    )

    assert response["Content-Type"] == "text/csv"
    lines = response.content.decode().splitlines()
    assert lines[0] == "start,value,open,high,low,close,count,last_observed_at"
    assert lines[1].startswith("2024-01-02T00:00:00+00:00,155.61,")


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"start": "2024-01-07", "end": "2024-01-01"}, "start"),
        ({"start": "2000-01-01", "end": "2024-01-01", "interval": "hour"}, "end"),
        ({"interval": "fortnight"}, "interval"),
    ],
)
def test_history_range_errors(client, market, params, field):
    assert error(get(client, HISTORY, base="EUR", target="JPY", **params))[::2] == (400, field)


def test_answers_are_cached_until_rates_of_their_bases_land(
    client, market, django_capture_on_commit_callbacks
):
    first = get(client, RATES, base="EUR", target="USD", source="alpha").json()["rates"][0]["rate"]
    with django_capture_on_commit_callbacks(execute=True):
        rates_upsert(
            source="alpha",
            rows=[RateRow("EUR", "USD", Decimal("1.0999"), market_time("2024-01-05T16:00"))],
        )

    again = get(client, RATES, base="EUR", target="USD", source="alpha").json()["rates"][0]["rate"]
    assert (first, again) == ("1.0930", "1.0999")


def test_conditional_get_answers_304(client, market):
    response = get(client, RATES, base="EUR", target="USD")
    etag = response["ETag"]
    assert response["Cache-Control"].startswith("public, max-age=")

    again = client.get(RATES, {"base": "EUR", "target": "USD"}, HTTP_IF_NONE_MATCH=etag)

    assert again.status_code == 304
    assert again.content == b""


def test_cache_key_covers_the_amount(client, market):
    a = get(client, RATES, base="EUR", target="USD", amount="1").json()["rates"][0]["converted"]
    b = get(client, RATES, base="EUR", target="USD", amount="1000").json()["rates"][0]["converted"]

    assert (a, b) == ("1.09", "1092.55")


def market_time(text: str):
    from datetime import UTC, datetime

    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_answers_say_when_their_newest_rate_was_observed(client, market):
    rates = client.get(RATES, {"base": "EUR", "target": "USD"})
    history = client.get(
        HISTORY, {"base": "EUR", "target": "JPY", "start": "2024-01-01", "end": "2024-01-07"}
    )

    assert rates["Last-Modified"] == "Fri, 05 Jan 2024 15:00:00 GMT"
    assert history["Last-Modified"] == "Fri, 05 Jan 2024 15:00:00 GMT"


EUR_USD, EUR_USD_1 = {"base": "EUR", "target": "USD"}, {"from": "EUR", "to": "USD", "amount": "1"}


@pytest.mark.parametrize(
    ("url", "params", "field"),
    [
        (CONVERT, {"from": "EUR", "to": "USD", "amount": "1", "date": "0001-01-05"}, "date"),
        (
            CONVERT,
            {"from": "EUR", "to": "USD", "amount": "1", "date": "0001-01-01T00:00+01:00"},
            "date",
        ),
        (RATES, {"base": "EUR", "at": "1899-12-31"}, "at"),
        (HISTORY, {"base": "EUR", "target": "USD", "end": "0001-01-05"}, "end"),
        (
            HISTORY,
            {"base": "EUR", "target": "USD", "start": "0001-01-01", "end": "0001-01-05"},
            "start",
        ),
    ],
)
def test_instants_before_1900_are_a_400_naming_the_field(client, market, url, params, field):
    response = get(client, url, **params)

    assert response.status_code == 400
    assert response.json()["error"]["field"] == field
    assert "1900" in response.json()["error"]["message"]


def test_a_read_at_the_dawn_of_time_finds_nothing_rather_than_overflowing(market):
    from datetime import UTC, datetime

    from rates.exceptions import RateNotFound
    from rates.reads import rate_for

    with pytest.raises(RateNotFound):
        rate_for("EUR", "USD", at=datetime(1, 1, 5, tzinfo=UTC))
