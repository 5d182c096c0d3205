import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from scrapers.spiders.bank_of_canada import parse_bank_of_canada

FIXTURES = Path(__file__).parent / "fixtures" / "bank_of_canada"
REAL = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "real" / "bank-of-canada"


def test_parse_bank_of_canada_reads_every_day_and_series_quoted_in_cad():
    items = parse_bank_of_canada((FIXTURES / "FX_RATES_DAILY.json").read_bytes())

    # 16:30 in Toronto is 21:30 UTC in January (EST) and 20:30 UTC in July (EDT).
    january = datetime(2026, 1, 15, 21, 30, tzinfo=UTC)
    july = datetime(2026, 7, 2, 20, 30, tzinfo=UTC)
    assert [(i.base, i.target, i.rate, i.observed_at) for i in items] == [
        ("EUR", "CAD", Decimal("1.6012"), january),
        ("JPY", "CAD", Decimal("0.008812"), january),
        ("USD", "CAD", Decimal("1.3904"), january),
        # July's EUR value is empty (nothing published) and JPY is absent: both skipped.
        ("USD", "CAD", Decimal("1.3551"), july),
    ]
    assert {i.per for i in items} == {Decimal(1)}


@pytest.mark.parametrize(
    "body", [b"{}", b"[]", b'{"message": "Series not found"}', b'{"observations": []}']
)
def test_parse_bank_of_canada_of_json_without_observations_is_empty(body):
    assert parse_bank_of_canada(body) == []


@pytest.mark.parametrize("body", [b"", b"<html><body>Maintenance</body></html>"])
def test_parse_bank_of_canada_of_a_body_that_is_not_json_raises(body):
    with pytest.raises(json.JSONDecodeError):
        parse_bank_of_canada(body)


@pytest.mark.skipif(not REAL.exists(), reason="shared real captures not present")
def test_parse_bank_of_canada_on_the_real_daily_group():
    items = parse_bank_of_canada(
        (REAL / "valet_FX_RATES_DAILY_2026-03-12_to_2026-03-18.json").read_bytes()
    )

    # Five business days of 23 live series (THB, MYR and VND are listed but discontinued).
    assert len(items) == 5 * 23
    assert {i.target for i in items} == {"CAD"}
    assert len({i.base for i in items}) == 23
    first = datetime(2026, 3, 12, 20, 30, tzinfo=UTC)  # 16:30 EDT
    last = datetime(2026, 3, 18, 20, 30, tzinfo=UTC)
    assert {(i.base, i.rate) for i in items if i.observed_at == first} >= {
        ("USD", Decimal("1.3617")),
        ("IDR", Decimal("0.000081")),
    }
    assert sorted({i.observed_at for i in items}) == [
        datetime(2026, 3, day, 20, 30, tzinfo=UTC) for day in (12, 13, 16, 17, 18)
    ]
    assert all(i.observed_at <= last for i in items)


@pytest.mark.skipif(not REAL.exists(), reason="shared real captures not present")
def test_parse_bank_of_canada_reads_an_inverse_series_the_right_way_round():
    items = parse_bank_of_canada(
        (REAL / "valet_observations_FXCADUSD_recent_2021-01.json").read_bytes()
    )

    assert [(i.base, i.target, i.rate) for i in items] == [
        ("CAD", "USD", Decimal("0.7843")),
        ("CAD", "USD", Decimal("0.7870")),
        ("CAD", "USD", Decimal("0.7883")),
        ("CAD", "USD", Decimal("0.7870")),
    ]
    assert items[0].observed_at == datetime(2021, 1, 4, 21, 30, tzinfo=UTC)  # 16:30 EST


@pytest.mark.skipif(not REAL.exists(), reason="shared real captures not present")
def test_parse_bank_of_canada_skips_annual_averages():
    # FXA{CCY}CAD series are yearly averages, not a day's rate.
    assert parse_bank_of_canada((REAL / "valet_FX_RATES_ANNUAL_2017-2025.json").read_bytes()) == []


@pytest.mark.skipif(not REAL.exists(), reason="shared real captures not present")
def test_parse_bank_of_canada_rejects_the_csv_variant():
    body = (REAL / "valet_FX_RATES_DAILY_2017-01-03_to_2021-07-15.csv").read_bytes()

    with pytest.raises(json.JSONDecodeError):
        parse_bank_of_canada(body)
