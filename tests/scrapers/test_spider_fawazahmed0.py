from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from scrapers.spiders.fawazahmed0 import parse_fawazahmed0

FIXTURES = Path(__file__).parent / "fixtures" / "fawazahmed0"
REAL = (
    Path(__file__).resolve().parents[3]
    / "shared"
    / "fixtures"
    / "real"
    / "fawazahmed0-currency-api"
)


def test_parse_fawazahmed0_upper_cases_three_letter_codes_at_midnight_utc():
    items = parse_fawazahmed0((FIXTURES / "currencies_usd.json").read_bytes(), "USD")

    # 1inch and usdt are not 3-letter codes; usd is the base; btc and xau pass here: the
    # validation drops btc (unknown to Koel) and keeps xau (a known, if inactive, currency).
    assert [(i.base, i.target, i.rate) for i in items] == [
        ("USD", "AED", Decimal("3.6725")),
        ("USD", "BTC", Decimal("0.000011")),
        ("USD", "EUR", Decimal("0.921831")),
        ("USD", "JPY", Decimal("154.300017")),
        ("USD", "XAU", Decimal("0.00037")),
    ]
    assert {i.observed_at for i in items} == {datetime(2026, 11, 19, tzinfo=UTC)}


def test_parse_fawazahmed0_of_an_empty_rate_object_is_empty():
    assert parse_fawazahmed0(b'{"date": "2026-11-19", "usd": {}}', "USD") == []


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"<html><body>Couldn't find the requested file</body></html>",
        b'{"date": "2026-11-19", "eur": {"usd": 1.08}}',  # not the requested base
        b'{"date": "2022-05-04", "usd": 3.034985}',  # the single-pair endpoint's shape
        b'{"usd": {"eur": 0.92}}',
        b'{"date": "2026-11-19", "usd": {"eur": "0.92"}}',
        b'{"date": "19.11.2026", "usd": {"eur": 0.92}}',
    ],
)
def test_parse_fawazahmed0_rejects_garbled_or_drifted_bodies(body):
    with pytest.raises(ValueError, match=r"fawazahmed0|Expecting value|isoformat"):
        parse_fawazahmed0(body, "USD")


@pytest.mark.skipif(not REAL.exists(), reason="shared real captures not present")
@pytest.mark.parametrize(
    ("name", "base", "day", "expected"),
    [
        (
            "latest_currencies_usd_2022-04-17.json",
            "USD",
            datetime(2022, 4, 17, tzinfo=UTC),
            {"EUR": "0.924695", "JPY": "126.435465", "BTC": "0.000025"},
        ),
        (
            "currencies_gel_2022-05-01.json",
            "GEL",
            datetime(2022, 5, 1, tzinfo=UTC),
            {"EUR": "0.311441", "USD": "0.328403", "JPY": "42.622108"},
        ),
    ],
)
def test_parse_fawazahmed0_on_real_captures(name, base, day, expected):
    items = parse_fawazahmed0((REAL / name).read_bytes(), base)
    rates = {i.target: i.rate for i in items}

    # 208 codes: 15 are not 3-letter alphabetic (1inch, usdt…), and one is the base itself.
    assert len(items) == 192
    assert {i.base for i in items} == {base}
    assert base not in rates
    assert {code: rates[code] for code in expected} == {
        code: Decimal(rate) for code, rate in expected.items()
    }
    assert {i.observed_at for i in items} == {day}
