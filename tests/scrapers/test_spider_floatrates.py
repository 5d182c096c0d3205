from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from scrapers.spiders.floatrates import parse_floatrates_json

FIXTURES = Path(__file__).parent / "fixtures" / "floatrates"
REAL = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "real" / "floatrates"


def test_parse_floatrates_json_reads_rate_as_one_base_in_target_without_rounding():
    items = parse_floatrates_json((FIXTURES / "daily_usd.json").read_bytes(), "usd")

    assert [(i.base, i.target, i.rate) for i in items] == [
        ("USD", "EUR", Decimal("0.92183119040541")),
        ("USD", "JPY", Decimal("154.3")),
        ("USD", "VND", Decimal(25410)),
        ("USD", "BTC", Decimal("0.000069")),  # exponent notation; the pipeline drops BTC later
    ]
    assert {i.observed_at for i in items} == {datetime(2026, 11, 19, 11, 55, 1, tzinfo=UTC)}


def test_parse_floatrates_json_skips_an_entry_for_the_base_itself():
    body = b'{"usd":{"code":"USD","rate":1,"date":"Thu, 19 Nov 2026 11:55:01 GMT"}}'

    assert parse_floatrates_json(body, "USD") == []


def test_parse_floatrates_json_of_an_empty_object_is_empty():
    assert parse_floatrates_json(b"{}", "USD") == []


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"<html><body>502 Bad Gateway</body></html>",
        b"[]",
        b'{"eur": {"code": "EUR", "inverseRate": 1.08}}',
        b'{"eur": {"code": "EUR", "rate": "0.92", "date": "Thu, 19 Nov 2026 11:55:01 GMT"}}',
        b'{"eur": {"code": "EUR", "rate": 0.92, "date": "19/11/2026"}}',
        b'{"eur": {"code": "EUR", "rate": 0.92, "date": "Thu, 19 Nov 2026 11:55:01 -0000"}}',
    ],
)
def test_parse_floatrates_json_rejects_garbled_or_drifted_bodies(body):
    with pytest.raises(ValueError, match=r"floatrates|Expecting value|Invalid date"):
        parse_floatrates_json(body, "USD")


@pytest.mark.skipif(not REAL.exists(), reason="shared real captures not present")
@pytest.mark.parametrize(
    ("name", "base", "pair", "rate"),
    [
        ("daily_usd_2021-06-28_reindented.json", "USD", "GBP", "0.7192421981338"),
        ("daily_usd_2021-06-28_reindented.json", "USD", "JPY", "110.70358645416"),
        ("daily_eur_2021-06-28_reindented.json", "EUR", "USD", "1.1942123964621"),
        ("daily_eur_2021-06-28_reindented.json", "EUR", "JPY", "132.20359527638"),
    ],
)
def test_parse_floatrates_json_on_real_captures(name, base, pair, rate):
    items = parse_floatrates_json((REAL / name).read_bytes(), base.lower())

    assert len(items) == 149
    assert {i.base for i in items} == {base}
    assert base not in {i.target for i in items}
    assert next(i.rate for i in items if i.target == pair) == Decimal(rate)
    assert {i.observed_at for i in items} == {datetime(2021, 6, 28, 11, 55, 1, tzinfo=UTC)}
