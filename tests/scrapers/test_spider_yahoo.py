import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from rates.models import ExchangeRate
from scrapers.spiders.yahoo import parse_yahoo_chart, parse_yahoo_quote, symbol_pair

from .crawling import crawl, load_reference_data
from .replay import ReplayServer, file_route

FIXTURES = Path(__file__).parent / "fixtures" / "yahoo"
REAL = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "real" / "yahoo-finance"
CHART = (FIXTURES / "chart_EURUSD=X.json").read_bytes()


def test_parse_yahoo_chart_reads_the_market_price_not_the_daily_bars():
    items = parse_yahoo_chart(CHART)

    # meta.regularMarketPrice at meta.regularMarketTime; the bars (one null) are not read.
    assert [(i.base, i.target, i.rate, i.per, i.observed_at) for i in items] == [
        ("EUR", "USD", Decimal("1.0847991"), Decimal(1), datetime(2026, 11, 20, 9, 34, tzinfo=UTC))
    ]


def test_parse_yahoo_chart_reads_a_dollar_symbol_as_usd_base():
    items = parse_yahoo_chart((FIXTURES / "chart_JPY=X.json").read_bytes())

    # "JPY=X" is USD/JPY: 1 USD = 154.312 JPY.
    assert [(i.base, i.target, i.rate, i.observed_at) for i in items] == [
        ("USD", "JPY", Decimal("154.312"), datetime(2026, 11, 20, 9, 35, tzinfo=UTC))
    ]


def test_parse_yahoo_quote_reads_each_result():
    items = parse_yahoo_quote((FIXTURES / "quote_EURUSD=X,GBPJPY=X.json").read_bytes())

    # regularMarketPrice, not bid or ask.
    assert [(i.base, i.target, i.rate, i.observed_at) for i in items] == [
        ("EUR", "USD", Decimal("1.0847991"), datetime(2026, 11, 20, 9, 34, tzinfo=UTC)),
        ("GBP", "JPY", Decimal("207.118"), datetime(2026, 11, 20, 9, 34, 10, tzinfo=UTC)),
    ]


@pytest.mark.parametrize(
    ("symbol", "pair"),
    [("EURUSD=X", ("EUR", "USD")), ("INR=X", ("USD", "INR")), ("GBPJPY=X", ("GBP", "JPY"))],
)
def test_symbol_pair(symbol, pair):
    assert symbol_pair(symbol) == pair


@pytest.mark.parametrize(
    "body",
    [
        (FIXTURES / "chart_error.json").read_bytes(),
        b'{"chart": {"result": [], "error": null}}',
        CHART.replace(b'"regularMarketPrice": 1.0847991', b'"regularMarketPrice": null'),
        b'{"finance": {"result": null, "error": {"code": "Unauthorized"}}}',
    ],
)
def test_parse_yahoo_chart_without_a_price_is_empty(body):
    assert parse_yahoo_chart(body) == []


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (b'"symbol": "EURUSD=X"', b'"symbol": "^GSPC"', "not a currency pair"),
        (b'"currency": "USD"', b'"currency": "GBP"', "quoted in GBP"),
        (b'"regularMarketPrice": 1.0847991', b'"regularMarketPrice": "1.08"', "not a number"),
        (b'"regularMarketTime": 1795167240', b'"regularMarketTime": null', "Unix seconds"),
    ],
)
def test_parse_yahoo_chart_rejects_what_it_cannot_place(old, new, message):
    with pytest.raises(ValueError, match=message):
        parse_yahoo_chart(CHART.replace(old, new))


@pytest.mark.skipif(not REAL.exists(), reason="shared real captures not present")
def test_parse_yahoo_chart_on_the_real_capture_with_nulls():
    body = (REAL / "v8_chart_INR=X_2024-09_with-null.json").read_bytes()
    assert b"null" in body  # the daily bars have a null day

    items = parse_yahoo_chart(body)

    # INR=X is USD→INR; 1726284616 is 2024-09-14 03:30:16 UTC. The bars are from 2017 (64.61…).
    assert [(i.base, i.target, i.rate, i.observed_at) for i in items] == [
        ("USD", "INR", Decimal("83.89"), datetime(2024, 9, 14, 3, 30, 16, tzinfo=UTC))
    ]


@pytest.mark.skipif(not REAL.exists(), reason="shared real captures not present")
def test_parse_yahoo_quote_on_the_real_v7_capture():
    # A test-suite wrapper {request, response: {…, bodyJson}}: the served body is bodyJson.
    wrapped = json.loads((REAL / "v7_quote_EURUSD=X_2021-03-26_wrapped.json").read_bytes())
    body = json.dumps(wrapped["response"]["bodyJson"]).encode()

    items = parse_yahoo_quote(body)

    # regularMarketPrice 1.1800802 (bid 1.1800802, ask 1.1793844 are not read).
    assert [(i.base, i.target, i.rate, i.observed_at) for i in items] == [
        ("EUR", "USD", Decimal("1.1800802"), datetime(2021, 3, 26, 9, 53, 1, tzinfo=UTC))
    ]


@pytest.fixture
def reference_data(transactional_db):
    load_reference_data("yahoo")


def test_crawl_yahoo_asks_one_symbol_per_pair(reference_data):
    routes = {
        "/v8/finance/chart/EURUSD=X": file_route(
            FIXTURES / "chart_EURUSD=X.json", "application/json"
        ),
        "/v8/finance/chart/JPY=X": file_route(FIXTURES / "chart_JPY=X.json", "application/json"),
        # EURJPY=X is not routed: a 404 for one pair does not fail the others.
    }
    with ReplayServer(routes) as server:
        result = crawl(
            "yahoo",
            *("--base", "EUR", "--base", "USD", "--target", "USD", "--target", "JPY"),
            *("--base-url", server.url),
        )

    assert result.returncode == 0, result.stderr[-2000:]
    assert "2 rates read, 2 new or changed" in result.stdout
    asked = sorted(path for path, _headers in server.requests if path.startswith("/v8/"))
    assert asked == [
        "/v8/finance/chart/EURJPY=X",
        "/v8/finance/chart/EURUSD=X",
        "/v8/finance/chart/JPY=X",
    ]
    stored = {
        (r.base_id, r.target_id, r.rate, r.observed_at)
        for r in ExchangeRate.objects.filter(source_id="yahoo")
    }
    assert stored == {
        ("EUR", "USD", Decimal("1.0847991"), datetime(2026, 11, 20, 9, 34, tzinfo=UTC)),
        ("USD", "JPY", Decimal("154.312"), datetime(2026, 11, 20, 9, 35, tzinfo=UTC)),
    }
