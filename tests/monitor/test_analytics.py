"""GET /api/v1/analytics/volatility/ and /correlation/ on known data written through the write
service, against NumPy references computed here from the closes the data has."""

import itertools
import math
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import numpy as np
import pytest
from django.urls import reverse

from rates.ingest.services import rates_upsert
from rates.types import RateRow

VOLATILITY = reverse("analytics:volatility")
CORRELATION = reverse("analytics:correlation")
DAY = datetime(2024, 1, 1, tzinfo=UTC)  # a Monday: 24 hourly buckets end at END
END = "2024-01-02T00:00:00Z"
HOURS = 24


def walk(seed: int, start: float) -> list[Decimal]:
    """24 hourly closes of a random walk, to 6 decimals: exact as written."""
    steps = np.random.default_rng(seed).normal(0, 0.002, HOURS)
    return [Decimal(f"{start * math.exp(s):.6f}") for s in np.cumsum(steps)]


EUR_USD = walk(1, 1.10)
USD_JPY = walk(2, 145.0)
GAP = {10, 11}  # hours without a USD/CHF rate


def rows(base: str, target: str, closes: list[Decimal], skip=frozenset()) -> list[RateRow]:
    """Each hour: a first rate at :10 (not the close) and the close at :50."""
    found = []
    for hour, close in enumerate(closes):
        if hour in skip:
            continue
        at = DAY + timedelta(hours=hour)
        found.append(RateRow(base, target, close * Decimal("1.01"), at + timedelta(minutes=10)))
        found.append(RateRow(base, target, close, at + timedelta(minutes=50)))
    return found


USD_CHF = walk(3, 0.88)


@pytest.fixture
def market(currencies, sources):
    rates_upsert(
        source="ecb",
        rows=[
            *rows("EUR", "USD", EUR_USD),
            *rows("USD", "JPY", USD_JPY),
            *rows("USD", "CHF", USD_CHF, skip=GAP),
            *rows("USD", "HKD", [Decimal("7.8")] * HOURS),
        ],
    )


def reference_returns(closes: list[Decimal | None]) -> list[float]:
    """ln(c_t / c_t-1) for each two adjacent hours that both have a close."""
    return [
        math.log(float(b) / float(a))
        for a, b in itertools.pairwise(closes)
        if a is not None and b is not None
    ]


def with_gap(closes: list[Decimal]) -> list[Decimal | None]:
    return [None if hour in GAP else close for hour, close in enumerate(closes)]


def volatility(client, **params):
    response = client.get(VOLATILITY, {"window": "24h", "interval": "hour", "end": END, **params})
    assert response.status_code == 200, response.content
    return response.json()


def test_volatility_is_the_sample_deviation_of_log_returns(client, market):
    body = volatility(client, pairs="EUR/USD,USD/JPY", annualize="true")

    expected = [np.std(reference_returns(closes), ddof=1) for closes in (EUR_USD, USD_JPY)]
    assert [p["volatility"] for p in body["pairs"]] == pytest.approx(expected, rel=1e-12)
    assert [p["annualized"] for p in body["pairs"]] == pytest.approx(
        [e * math.sqrt(365 * 24) for e in expected], rel=1e-12
    )
    assert [(p["pair"], p["buckets"], p["observations"]) for p in body["pairs"]] == [
        ("EUR/USD", 24, 23),
        ("USD/JPY", 24, 23),
    ]


def test_volatility_answer_describes_its_window(client, market):
    body = volatility(client, pairs="EUR/USD")

    del body["pairs"]
    assert body == {
        "window": "24h",
        "interval": "hour",
        "start": "2024-01-01T00:00:00+00:00",
        "end": "2024-01-02T00:00:00+00:00",
        "buckets": 24,
        "annualize": False,
        "periods_per_year": 8760.0,
    }


def test_an_unaligned_window_has_partial_buckets_at_both_ends(client, market):
    body = volatility(client, pairs="EUR/USD", end="2024-01-02T00:07:00Z")

    # [Jan 1 00:07, Jan 2 00:07): the hour of 00:00 on both days is a bucket, cut short; the first
    # still has both of its rates (:10, :50), the last none.
    assert (body["start"], body["buckets"]) == ("2024-01-01T00:07:00+00:00", 25)
    assert (body["pairs"][0]["buckets"], body["pairs"][0]["observations"]) == (24, 23)


def test_volatility_is_not_annualised_unless_asked(client, market):
    [pair] = volatility(client, pairs="EUR/USD")["pairs"]

    assert (pair["annualized"], pair["reason"], pair["path"]) == (None, None, "direct")


def test_a_gap_drops_the_returns_beside_it(client, market):
    [pair] = volatility(client, pairs="USD/CHF")["pairs"]

    # Hours 10 and 11 missing: 9→10, 10→11 and 11→12 have no return; 9→12 is not taken.
    expected = reference_returns(with_gap(USD_CHF))
    assert (pair["buckets"], pair["observations"]) == (22, 20) == (22, len(expected))
    assert pair["volatility"] == pytest.approx(np.std(expected, ddof=1), rel=1e-12)


def test_a_constant_pair_has_zero_volatility(client, market):
    [pair] = volatility(client, pairs="USD/HKD", annualize="true")["pairs"]

    assert (pair["volatility"], pair["annualized"], pair["observations"]) == (0.0, 0.0, 23)


def test_inverse_and_cross_pairs_are_read_as_koel_quotes_them(client, market):
    inverse, cross = volatility(client, pairs="JPY/USD,EUR/JPY")["pairs"]

    # ln(1/x) moves as −ln(x): the same deviation. EUR/JPY = EUR/USD × USD/JPY per bucket.
    assert (inverse["path"], cross["path"], cross["via"]) == ("inverse", "cross", "USD")
    usd_jpy = np.std(reference_returns(USD_JPY), ddof=1)
    assert inverse["volatility"] == pytest.approx(usd_jpy, rel=1e-9)
    eur_jpy = [a * b for a, b in zip(EUR_USD, USD_JPY, strict=True)]
    assert cross["volatility"] == pytest.approx(np.std(reference_returns(eur_jpy), ddof=1))


def test_a_pair_without_rates_is_null_with_the_reason(client, market):
    [pair] = volatility(client, pairs="GBP/SEK")["pairs"]

    assert (pair["path"], pair["buckets"], pair["observations"], pair["volatility"]) == (
        None,
        0,
        0,
        None,
    )
    assert pair["reason"].startswith("0 log return(s) between adjacent buckets")


def test_the_default_interval_of_a_day_is_five_minutes(client, market):
    body = client.get(VOLATILITY, {"pairs": "EUR/USD", "end": END}).json()

    # Closes at :50 of each hour: no two adjacent 5-minute buckets both have one.
    assert (body["interval"], body["buckets"]) == ("5min", 288)
    assert (body["pairs"][0]["buckets"], body["pairs"][0]["observations"]) == (48, 0)


def test_pairs_default_to_the_live_group(client, market):
    body = client.get(VOLATILITY, {"end": END}).json()

    assert [p["pair"] for p in body["pairs"]][:3] == ["EUR/USD", "GBP/USD", "USD/JPY"]
    assert len(body["pairs"]) == 8


def correlation(client, **params):
    response = client.get(CORRELATION, {"window": "24h", "interval": "hour", "end": END, **params})
    assert response.status_code == 200, response.content
    return response.json()


def test_correlation_matrix_equals_numpy_corrcoef(client, market):
    body = correlation(client, pairs="USD/JPY,EUR/USD,EUR/JPY")

    eur_jpy = [a * b for a, b in zip(EUR_USD, USD_JPY, strict=True)]
    returns = [reference_returns(c) for c in (USD_JPY, EUR_USD, eur_jpy)]
    assert body["pairs"] == ["USD/JPY", "EUR/USD", "EUR/JPY"]  # the order asked
    assert body["observations"] == 23
    assert np.array(body["matrix"]) == pytest.approx(np.corrcoef(returns), rel=1e-9)
    assert [body["matrix"][i][i] for i in range(3)] == [1.0, 1.0, 1.0]
    assert body["reason"] is None


def test_correlation_uses_only_buckets_where_every_pair_has_a_return(client, market):
    body = correlation(client, pairs="EUR/USD,USD/CHF")

    chf = with_gap(USD_CHF)
    common = [hour for hour in range(1, HOURS) if chf[hour] and chf[hour - 1]]
    eur = reference_returns(EUR_USD)
    expected = np.corrcoef([eur[h - 1] for h in common], reference_returns(chf))
    assert body["observations"] == len(common) == 20
    assert body["matrix"][0][1] == pytest.approx(expected[0][1], rel=1e-9)
    assert [s["observations"] for s in body["series"]] == [23, 20]


def test_correlation_with_a_constant_pair_is_null_and_says_why(client, market):
    body = correlation(client, pairs="EUR/USD,USD/HKD,USD/JPY")

    matrix = body["matrix"]
    assert matrix[1] == [None, None, None]
    assert [row[1] for row in matrix] == [None, None, None]
    assert matrix[0][2] == pytest.approx(
        np.corrcoef(reference_returns(EUR_USD), reference_returns(USD_JPY))[0][1], rel=1e-9
    )
    reasons = [s["reason"] for s in body["series"]]
    assert reasons[0] is None
    assert reasons[1].startswith("The pair did not move")


def test_correlation_without_common_returns_is_null_and_says_why(client, market):
    body = correlation(client, pairs="EUR/USD,GBP/SEK")

    assert (body["observations"], body["matrix"]) == (0, [[None, None], [None, None]])
    assert "at buckets where every pair has one" in body["reason"]


def error(response) -> tuple[int, str | None]:
    return response.status_code, response.json()["error"]["field"]


@pytest.mark.parametrize(
    ("url", "params", "field"),
    [
        (VOLATILITY, {"pairs": "XXX/USD"}, "pairs"),
        (VOLATILITY, {"pairs": "EURUSD"}, "pairs"),
        (VOLATILITY, {"pairs": "EUR/EUR"}, "pairs"),
        (VOLATILITY, {"pairs": ",".join(f"EUR/{c}" for c in "ABCDEFGHIJKLMNOPQRSTU")}, "pairs"),
        (VOLATILITY, {"pairs": "EUR/USD", "window": "1y"}, "window"),
        (VOLATILITY, {"pairs": "EUR/USD", "interval": "month"}, "interval"),
        (VOLATILITY, {"pairs": "EUR/USD", "interval": "day"}, "interval"),  # not finer than 24h
        (VOLATILITY, {"pairs": "EUR/USD", "window": "7d", "interval": "week"}, "interval"),
        (VOLATILITY, {"pairs": "EUR/USD", "window": "30d", "interval": "minute"}, "interval"),
        (VOLATILITY, {"pairs": "EUR/USD", "annualize": "perhaps"}, "annualize"),
        (VOLATILITY, {"pairs": "EUR/USD", "end": "2999-01-01"}, "end"),
        (VOLATILITY, {"pairs": "EUR/USD", "end": "yesterday"}, "end"),
        (VOLATILITY, {"pairs": "EUR/USD", "symbols": "EUR"}, "symbols"),
        (VOLATILITY, {"pairs": ""}, "pairs"),
        (CORRELATION, {"pairs": "EUR/USD"}, "pairs"),
        (CORRELATION, {"pairs": "EUR/USD,eur/usd"}, "pairs"),  # one pair, given twice
        (CORRELATION, {"pairs": "EUR/USD,USD/JPY", "annualize": "true"}, "annualize"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(client, market, url, params, field):
    response = client.get(url, params)

    assert error(response) == (400, field)
    assert response.json()["error"]["code"] == "invalid"


def test_answers_are_cached_until_rates_of_their_pairs_land(
    client, market, django_capture_on_commit_callbacks
):
    before = volatility(client, pairs="USD/HKD")["pairs"][0]["volatility"]
    late = RateRow("USD", "HKD", Decimal("7.9"), DAY + timedelta(hours=23, minutes=55))
    with django_capture_on_commit_callbacks() as on_commit:
        rates_upsert(source="ecb", rows=[late])  # the last hour's close is now 7.9

    cached = volatility(client, pairs="USD/HKD")["pairs"][0]["volatility"]
    for callback in on_commit:
        callback()  # the write commits: its bases' versions move
    after = volatility(client, pairs="USD/HKD")["pairs"][0]["volatility"]
    assert (before, cached) == (0.0, 0.0)
    assert after > 0


def test_the_schema_documents_both_endpoints_with_examples(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()

    for path in ("/api/v1/analytics/volatility/", "/api/v1/analytics/correlation/"):
        operation = schema["paths"][path]["get"]
        content = operation["responses"]["200"]["content"]["application/json"]
        assert content["examples"], path
        assert "365-day" in operation["description"] or path.endswith("correlation/")
    names = {
        p["name"] for p in schema["paths"]["/api/v1/analytics/volatility/"]["get"]["parameters"]
    }
    assert names == {"pairs", "window", "interval", "end", "annualize"}
