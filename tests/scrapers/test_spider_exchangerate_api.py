from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from rates.models import ExchangeRate
from scrapers.spiders.exchangerate_api import parse_exchangerate_api

from .crawling import crawl, load_reference_data
from .replay import ReplayServer, file_route

FIXTURES = Path(__file__).parent / "fixtures" / "exchangerate_api"
REAL = (
    Path(__file__).resolve().parents[3]
    / "shared"
    / "fixtures"
    / "real"
    / "exchangerate-api-v6-keyed"
)
WHEN = datetime(2026, 11, 20, 0, 0, 1, tzinfo=UTC)


def test_parse_exchangerate_api_reads_conversion_rates_as_one_base_in_code():
    items = parse_exchangerate_api((FIXTURES / "v6_latest_USD.json").read_bytes())

    # The base's own "USD": 1 is not a rate; BTN is kept here and dropped by the pipeline only if
    # Koel does not know it.
    assert [(i.base, i.target, i.rate, i.per, i.observed_at) for i in items] == [
        ("USD", "EUR", Decimal("0.9218"), Decimal(1), WHEN),
        ("USD", "JPY", Decimal("154.3"), Decimal(1), WHEN),
        ("USD", "KWD", Decimal("0.3075"), Decimal(1), WHEN),
        ("USD", "BTN", Decimal("84.1157"), Decimal(1), WHEN),
    ]


def test_parse_exchangerate_api_of_an_error_result_is_empty():
    assert parse_exchangerate_api((FIXTURES / "v6_error_invalid-key.json").read_bytes()) == []


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"<html><body>Cloudflare: 1020 Access denied</body></html>",
        b"[]",
        # open.er-api's shape (`rates`), not the keyed one.
        b'{"result": "success", "base_code": "USD", "time_last_update_unix": 1795132801,'
        b' "rates": {"EUR": 0.92}}',
        b'{"result": "success", "base_code": "USD", "conversion_rates": {"EUR": 0.92}}',
        b'{"result": "success", "base_code": "USD", "time_last_update_unix": 1795132801,'
        b' "conversion_rates": {"EUR": "0.92"}}',
    ],
)
def test_parse_exchangerate_api_rejects_garbled_or_drifted_bodies(body):
    with pytest.raises(ValueError, match=r"exchangerate_api|Expecting value"):
        parse_exchangerate_api(body)


@pytest.mark.skipif(not REAL.exists(), reason="shared real captures not present")
def test_parse_exchangerate_api_on_the_real_capture():
    items = parse_exchangerate_api((REAL / "v6_KEY_latest_EUR_2024-06-05.json").read_bytes())
    rates = {i.target: i.rate for i in items}

    assert len(items) == len(rates) == 161  # 162 conversion_rates less EUR's own 1
    assert {i.base for i in items} == {"EUR"}
    assert rates["USD"] == Decimal("1.0876")
    assert rates["AED"] == Decimal("3.9943")
    assert rates["ANG"] == Decimal("1.9468")
    assert {i.observed_at for i in items} == {datetime(2024, 6, 5, 0, 0, 1, tzinfo=UTC)}


@pytest.fixture
def reference_data(transactional_db):
    load_reference_data("exchangerate_api")


def test_crawl_exchangerate_api_puts_the_key_in_the_path(reference_data):
    routes = {
        "/v6/test/latest/USD": file_route(FIXTURES / "v6_latest_USD.json", "application/json")
    }
    with ReplayServer(routes) as server:
        result = crawl(
            "exchangerate_api", "--base", "USD", "--base-url", server.url,
            KOEL_EXCHANGERATE_API_KEY="test",
        )  # fmt: skip

    assert result.returncode == 0, result.stderr[-2000:]
    assert "4 rates read, 4 new or changed" in result.stdout
    stored = {
        (r.base_id, r.target_id, r.rate, r.observed_at)
        for r in ExchangeRate.objects.filter(source_id="exchangerate_api")
    }
    assert stored == {
        ("USD", "EUR", Decimal("0.9218"), WHEN),
        ("USD", "JPY", Decimal("154.3"), WHEN),
        ("USD", "KWD", Decimal("0.3075"), WHEN),
        ("USD", "BTN", Decimal("84.1157"), WHEN),
    }


def test_crawl_exchangerate_api_with_a_rejected_key_fails_without_naming_it(reference_data):
    routes = {
        "/v6/s3cret/latest/USD": file_route(
            FIXTURES / "v6_error_invalid-key.json", "application/json"
        )
    }
    with ReplayServer(routes) as server:
        result = crawl(
            "exchangerate_api", "--base", "USD", "--base-url", server.url,
            KOEL_EXCHANGERATE_API_KEY="s3cret",
        )  # fmt: skip

    assert result.returncode != 0
    assert "parsed no rates from" in result.stderr + result.stdout
    assert "s3cret" not in result.stderr + result.stdout
