import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from rates.models import ExchangeRate
from scrapers.spiders.wise import parse_wise

from .crawling import crawl, load_reference_data
from .replay import ReplayServer, file_route

FIXTURES = Path(__file__).parent / "fixtures" / "wise"
REAL = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "real" / "wise"
PRICE = (FIXTURES / "price_GBP-USD.json").read_bytes()
WHEN = datetime(2026, 11, 20, 9, 30, 5, tzinfo=UTC)


def test_parse_wise_reads_the_mid_market_rate_once():
    items = parse_wise(PRICE, WHEN)

    # Three price options, one rate: midRate, not a fee-laden targetAmount/sourceAmount
    # (1000 / 748.51 = 1.336) and not the ECB comparison rate (1.34987).
    assert [(i.base, i.target, i.rate, i.per, i.observed_at) for i in items] == [
        ("GBP", "USD", Decimal("1.342105"), Decimal(1), WHEN)
    ]


@pytest.mark.parametrize(
    "body",
    [
        b"[]",
        b'{"errors": [{"code": "error.route.not.supported", "message": "Not supported"}]}',
        b'[{"sourceCcy": "GBP", "targetCcy": "USD", "sourceAmount": 748.51}]',
    ],
)
def test_parse_wise_without_a_mid_rate_is_empty(body):
    assert parse_wise(body, WHEN) == []


def _options(*changes: dict) -> bytes:
    options = json.loads(PRICE)
    for option, change in zip(options, changes, strict=False):
        option.update(change)
    return json.dumps(options).encode()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (_options({}, {"midRate": 1.3422}), "disagree"),
        (_options({"targetCcy": "EUR"}), "disagree"),
        (_options(*[{"midRate": "1.342105"}] * 3), "not a number"),
        (_options(*[{"sourceCcy": None}] * 3), "without sourceCcy"),
        (b"<html>Just a moment...</html>", "Expecting value"),
    ],
)
def test_parse_wise_rejects_inconsistent_or_garbled_bodies(body, message):
    with pytest.raises(ValueError, match=message):
        parse_wise(body, WHEN)


@pytest.mark.skipif(not REAL.exists(), reason="shared real captures not present")
def test_parse_wise_on_the_real_capture():
    body = (REAL / "gateway_v1_price_GBP-USD_targetAmount-1000_2023-05-12.json").read_bytes()
    assert len(json.loads(body)) == 276  # price options, every one repeating midRate

    items = parse_wise(body, WHEN)

    assert [(i.base, i.target, i.rate, i.observed_at) for i in items] == [
        ("GBP", "USD", Decimal("1.24495"), WHEN)
    ]


@pytest.fixture
def reference_data(transactional_db):
    load_reference_data("wise")


def test_crawl_wise_stores_the_pair_at_the_response_time(reference_data):
    routes = {"/gateway/v1/price": file_route(FIXTURES / "price_GBP-USD.json", "application/json")}
    before = datetime.now(UTC).replace(microsecond=0)
    with ReplayServer(routes) as server:
        result = crawl("wise", "--base", "GBP", "--target", "USD", "--base-url", server.url)
    after = datetime.now(UTC)

    assert result.returncode == 0, result.stderr[-2000:]
    assert "1 rates read, 1 new or changed" in result.stdout
    paths = [path for path, _headers in server.requests if path.startswith("/gateway/")]
    assert paths == ["/gateway/v1/price?sourceCurrency=GBP&targetCurrency=USD&targetAmount=1000"]
    (row,) = ExchangeRate.objects.filter(source_id="wise")
    assert (row.base_id, row.target_id, row.rate) == ("GBP", "USD", Decimal("1.342105"))
    # The body has no time: the server's Date header (whole seconds) is the instant.
    assert before - timedelta(seconds=1) <= row.observed_at <= after


def test_crawl_wise_without_targets_fails_clearly(reference_data):
    with ReplayServer({}) as server:
        result = crawl("wise", "--base", "GBP", "--base-url", server.url)

    assert result.returncode != 0
    assert "wise quotes one pair per request: give the targets" in result.stderr
    assert not [path for path, _headers in server.requests if path != "/robots.txt"]
