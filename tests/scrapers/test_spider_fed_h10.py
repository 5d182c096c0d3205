from collections import Counter
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from rates.models import ExchangeRate
from scrapers.spiders.fed_h10 import parse_fed_h10

from .crawling import crawl, load_reference_data
from .replay import ReplayServer, file_route

FIXTURES = Path(__file__).parent / "fixtures" / "fed_h10"
REAL = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "real" / "fed-h10"
CSV = (FIXTURES / "FRB_H10.csv").read_bytes()
NOV_12 = datetime(2026, 11, 12, 17, tzinfo=UTC)  # noon in New York (EST)
NOV_13 = datetime(2026, 11, 13, 17, tzinfo=UTC)


def test_parse_fed_h10_orients_each_column_by_its_unit_and_currency_rows():
    items = parse_fed_h10(CSV)

    # Per_AUD in USD: 1 AUD = value USD. Per_GBP in USD with Multiplier 0.01: still dollars per
    # pound (1.3398), not applied. Per_USD in JPY: 1 USD = value JPY. The index column is not a
    # currency pair; ND is no rate.
    assert [(i.base, i.target, i.rate, i.per, i.observed_at) for i in items] == [
        ("AUD", "USD", Decimal("0.6521"), Decimal(1), NOV_12),
        ("GBP", "USD", Decimal("1.3398"), Decimal(1), NOV_12),
        ("USD", "JPY", Decimal("154.3"), Decimal(1), NOV_12),
        ("AUD", "USD", Decimal("0.6533"), Decimal(1), NOV_13),
        ("USD", "JPY", Decimal("154.87"), Decimal(1), NOV_13),
    ]


def test_parse_fed_h10_reads_header_rows_by_label_not_by_position():
    lines = CSV.split(b"\r\n")
    # Multiplier and Currency rows swapped, Unique Identifier row dropped.
    body = b"\r\n".join([lines[0], lines[1], lines[3], lines[2], *lines[5:]])

    assert parse_fed_h10(body) == parse_fed_h10(CSV)


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"<!DOCTYPE html><html><body>The selected series are not available.</body></html>",
        b"Series Description,X\r\nTime Period,X\r\n2026/11/12,1.0\r\n",  # no Unit/Currency rows
        CSV.split(b"2026/11/12")[0],  # headers, no data
    ],
)
def test_parse_fed_h10_without_rates_is_empty(body):
    assert parse_fed_h10(body) == []


@pytest.mark.parametrize(
    ("old", "new", "error"),
    [
        (b"2026/11/13,", b"13.11.2026,", "not YYYY/M/D"),
        (b",154.87,", b",n/a,", "not a plain decimal"),
    ],
)
def test_parse_fed_h10_rejects_malformed_rows(old, new, error):
    with pytest.raises(ValueError, match=error):
        parse_fed_h10(CSV.replace(old, new))


@pytest.mark.skipif(not REAL.exists(), reason="shared real captures not present")
def test_parse_fed_h10_on_the_real_capture():
    items = parse_fed_h10((REAL / "FRB_H10_DDP_5series_1971-01-04_to_2018-12-21.csv").read_bytes())
    by_day = {(i.observed_at.date(), i.base, i.target): i.rate for i in items}

    # Every number that is not ND, 12,515 days × 5 columns less the NDs (the euro from 1999).
    assert Counter((i.base, i.target) for i in items) == {
        ("AUD", "USD"): 12032,
        ("EUR", "USD"): 5018,
        ("NZD", "USD"): 12023,
        ("GBP", "USD"): 12039,
        ("USD", "JPY"): 12033,
    }
    assert {i.per for i in items} == {Decimal(1)}
    first, euro, last = date(1971, 1, 4), date(1999, 1, 4), date(2018, 12, 21)
    assert by_day[first, "AUD", "USD"] == Decimal("1.1127")
    assert by_day[first, "GBP", "USD"] == Decimal("2.3938")  # Multiplier 0.01 not applied
    assert by_day[first, "USD", "JPY"] == Decimal("357.73")
    assert (first, "EUR", "USD") not in by_day  # ND before the euro
    assert by_day[euro, "EUR", "USD"] == Decimal("1.1812")
    assert by_day[last, "EUR", "USD"] == Decimal("1.1402")
    assert by_day[last, "GBP", "USD"] == Decimal("1.2681")
    assert by_day[last, "NZD", "USD"] == Decimal("0.6726")
    assert by_day[last, "USD", "JPY"] == Decimal("111.14")
    noon = next(i.observed_at for i in items if i.observed_at.date() == last)
    assert noon == datetime(2018, 12, 21, 17, tzinfo=UTC)


@pytest.fixture
def reference_data(transactional_db):
    load_reference_data("fed_h10")


def test_crawl_fed_h10_stores_the_download(reference_data):
    routes = {"/datadownload/Output.aspx": file_route(FIXTURES / "FRB_H10.csv", "text/csv")}
    with ReplayServer(routes) as server:
        result = crawl("fed_h10", "--base-url", server.url)

    assert result.returncode == 0, result.stderr[-2000:]
    assert "5 rates read, 5 new or changed" in result.stdout
    (path,) = [path for path, _headers in server.requests if path.startswith("/datadownload/")]
    assert "rel=H10&series=60f32914ab61dfab590e0e470153e3ae&lastobs=10" in path
    assert "filetype=csv&label=include&layout=seriescolumn" in path
    stored = {
        (r.base_id, r.target_id, r.rate, r.observed_at)
        for r in ExchangeRate.objects.filter(source_id="fed_h10")
    }
    assert stored == {
        ("AUD", "USD", Decimal("0.6521"), NOV_12),
        ("GBP", "USD", Decimal("1.3398"), NOV_12),
        ("USD", "JPY", Decimal("154.3"), NOV_12),
        ("AUD", "USD", Decimal("0.6533"), NOV_13),
        ("USD", "JPY", Decimal("154.87"), NOV_13),
    }
