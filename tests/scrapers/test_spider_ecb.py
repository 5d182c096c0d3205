from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from scrapers.spiders.ecb import parse_ecb_daily

FIXTURES = Path(__file__).parent / "fixtures" / "ecb"
REAL = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "real" / "ecb"


def test_parse_ecb_daily_reads_every_currency_at_berlin_publication_time():
    items = parse_ecb_daily((FIXTURES / "eurofxref-daily.xml").read_bytes())

    assert [(i.base, i.target, i.rate) for i in items] == [
        ("EUR", "USD", Decimal("1.0950")),
        ("EUR", "JPY", Decimal("171.02")),
        ("EUR", "GBP", Decimal("0.86125")),
        ("EUR", "XYZ", Decimal("2.5")),  # unknown codes are dropped later, by the pipeline
    ]
    # 16:00 in Berlin in November (CET, UTC+1) is 15:00 UTC.
    assert {i.observed_at for i in items} == {datetime(2026, 11, 20, 15, tzinfo=UTC)}


def test_parse_ecb_daily_of_a_page_without_rates_is_empty():
    assert parse_ecb_daily(b"<html><body>Service unavailable</body></html>") == []


@pytest.mark.skipif(not REAL.exists(), reason="shared real captures not present")
@pytest.mark.parametrize(
    ("name", "count", "usd", "day"),
    [
        ("eurofxref-daily_2025-05-09.xml", 30, "1.1252", datetime(2025, 5, 9, 14, tzinfo=UTC)),
        ("eurofxref-daily_2017-03-08.xml", 31, "1.0556", datetime(2017, 3, 8, 15, tzinfo=UTC)),
    ],
)
def test_parse_ecb_daily_on_real_captures(name, count, usd, day):
    items = parse_ecb_daily((REAL / name).read_bytes())

    assert len(items) == count
    assert next(i.rate for i in items if i.target == "USD") == Decimal(usd)
    assert {i.observed_at for i in items} == {day}
