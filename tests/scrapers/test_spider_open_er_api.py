from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from scrapers.spiders.open_er_api import parse_open_er_api

FIXTURES = Path(__file__).parent / "fixtures" / "open_er_api"
REAL = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "real" / "open-er-api"


def test_parse_open_er_api_reads_base_code_rates_and_update_time():
    items = parse_open_er_api((FIXTURES / "v6_latest_EUR.json").read_bytes())

    # The base's own "EUR": 1 is not a rate.
    assert [(i.base, i.target, i.rate) for i in items] == [
        ("EUR", "USD", Decimal("1.084793")),
        ("EUR", "JPY", Decimal("167.38")),
        ("EUR", "GBP", Decimal("0.86125")),
        ("EUR", "KWD", Decimal("0.333")),
    ]
    assert {i.observed_at for i in items} == {datetime(2026, 11, 20, 0, 2, 31, tzinfo=UTC)}


def test_parse_open_er_api_of_an_error_result_is_empty():
    assert parse_open_er_api((FIXTURES / "v6_latest_error.json").read_bytes()) == []


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"<html><body>Cloudflare: 1020 Access denied</body></html>",
        b"[]",
        b'{"result": "success", "base_code": "EUR", "conversion_rates": {"USD": 1.08}}',
        b'{"result": "success", "base_code": "EUR", "time_last_update_unix": 1795132951,'
        b' "rates": {"USD": "1.08"}}',
    ],
)
def test_parse_open_er_api_rejects_garbled_or_drifted_bodies(body):
    with pytest.raises(ValueError, match=r"open_er_api|Expecting value"):
        parse_open_er_api(body)


@pytest.mark.skipif(not REAL.exists(), reason="shared real captures not present")
def test_parse_open_er_api_on_the_real_capture():
    items = parse_open_er_api((REAL / "v6_latest_RUB_2025-04-23.json").read_bytes())
    rates = {i.target: i.rate for i in items}

    assert len(items) == 162  # 163 entries less RUB's own 1
    assert {i.base for i in items} == {"RUB"}
    assert "RUB" not in rates
    assert rates["USD"] == Decimal("0.012278")
    assert rates["EUR"] == Decimal("0.010736")
    assert rates["JPY"] == Decimal("1.735403")
    assert {i.observed_at for i in items} == {datetime(2025, 4, 23, 0, 2, 32, tzinfo=UTC)}
