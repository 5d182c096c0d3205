import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from scrapers.spiders.frankfurter import parse_frankfurter

FIXTURES = Path(__file__).parent / "fixtures" / "frankfurter"
REAL = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "real" / "frankfurter"


def test_parse_frankfurter_reads_every_rate_at_the_ecb_publication_time():
    items = parse_frankfurter((FIXTURES / "latest-base-USD.json").read_bytes())

    assert [(i.base, i.target, i.rate, i.per) for i in items] == [
        ("USD", "EUR", Decimal("0.8601"), Decimal(1)),
        ("USD", "GBP", Decimal("0.7452"), Decimal(1)),
        ("USD", "JPY", Decimal("158.12"), Decimal(1)),
    ]
    # 16:00 in Berlin in January (CET, UTC+1) is 15:00 UTC.
    assert {i.observed_at for i in items} == {datetime(2026, 1, 15, 15, tzinfo=UTC)}


def test_parse_frankfurter_divides_out_the_amount():
    items = parse_frankfurter((FIXTURES / "latest-amount-100-base-EUR.json").read_bytes())

    assert [(i.target, i.rate, i.per) for i in items] == [
        ("USD", Decimal("117.25"), Decimal(100)),
        ("HUF", Decimal("39112.5"), Decimal(100)),
    ]
    assert [i.to_row().rate for i in items] == [Decimal("1.1725"), Decimal("391.125")]
    # 16:00 in Berlin in July (CEST, UTC+2) is 14:00 UTC.
    assert {i.observed_at for i in items} == {datetime(2026, 7, 1, 14, tzinfo=UTC)}


@pytest.mark.parametrize("body", [b"{}", b'{"message":"not found"}', b"[]", b'{"rates":{}}'])
def test_parse_frankfurter_of_json_without_rates_is_empty(body):
    assert parse_frankfurter(body) == []


@pytest.mark.parametrize("body", [b"", b"<html><body>Bad gateway</body></html>"])
def test_parse_frankfurter_of_a_body_that_is_not_json_raises(body):
    with pytest.raises(json.JSONDecodeError):
        parse_frankfurter(body)


@pytest.mark.skipif(not REAL.exists(), reason="shared real captures not present")
@pytest.mark.parametrize(
    ("name", "base", "count", "target", "rate", "when"),
    [
        (
            "v1_latest_base-EUR_2025-12-17.json",
            "EUR",
            30,
            "USD",
            "1.1722",
            datetime(2025, 12, 17, 15, tzinfo=UTC),
        ),
        (
            "v1_2025-06-13_base-PHP.json",
            "PHP",
            30,
            "IDR",
            "290.3",
            datetime(2025, 6, 13, 14, tzinfo=UTC),
        ),
        (
            "v1_latest_base-USD_symbols-EUR-USD_2025-12-17.json",
            "USD",
            1,
            "EUR",
            "0.8531",
            datetime(2025, 12, 17, 15, tzinfo=UTC),
        ),
    ],
)
def test_parse_frankfurter_on_real_captures(name, base, count, target, rate, when):
    items = parse_frankfurter((REAL / name).read_bytes())

    assert len(items) == count
    assert {i.base for i in items} == {base}
    assert base not in {i.target for i in items}
    assert next(i.rate for i in items if i.target == target) == Decimal(rate)
    assert {i.observed_at for i in items} == {when}
    assert {i.per for i in items} == {Decimal(1)}


@pytest.mark.skipif(not REAL.exists(), reason="shared real captures not present")
def test_parse_frankfurter_on_the_real_conversion_capture():
    (item,) = parse_frankfurter(
        (REAL / "v1_latest_amount-1234.56_EUR-USD_2025-12-17.json").read_bytes()
    )

    assert (item.base, item.target, item.rate, item.per) == (
        "EUR",
        "USD",
        Decimal("1447.15"),
        Decimal("1234.56"),
    )
    assert item.to_row().rate == Decimal("1447.15") / Decimal("1234.56")


@pytest.mark.skipif(not REAL.exists(), reason="shared real captures not present")
def test_every_real_capture_is_covered():
    assert {p.name for p in REAL.glob("*.json")} == {
        "v1_latest_base-EUR_2025-12-17.json",
        "v1_2025-06-13_base-PHP.json",
        "v1_latest_base-USD_symbols-EUR-USD_2025-12-17.json",
        "v1_latest_amount-1234.56_EUR-USD_2025-12-17.json",
    }
    assert all(json.loads(p.read_bytes()) for p in REAL.glob("*.json"))
