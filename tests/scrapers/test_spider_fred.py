from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from rates.models import ExchangeRate
from scrapers.spiders.fred import SERIES, FredSpider, parse_fred

from .crawling import crawl, load_reference_data
from .replay import ReplayServer, file_route

FIXTURES = Path(__file__).parent / "fixtures" / "fred"
REAL = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "real" / "fred"


def test_parse_fred_reads_an_inverse_series_as_published_and_skips_missing_days():
    items = parse_fred((FIXTURES / "DEXUSEU.json").read_bytes(), "DEXUSEU")

    # DEXUSEU is US dollars per 1 euro: 1 EUR = value USD. "." (2026-11-11, Veterans Day) is
    # no rate. Noon in New York is 17:00 UTC in November (EST).
    assert [(i.base, i.target, i.rate, i.per, i.observed_at) for i in items] == [
        ("EUR", "USD", Decimal("1.0848"), Decimal(1), datetime(2026, 11, 13, 17, tzinfo=UTC)),
        ("EUR", "USD", Decimal("1.0831"), Decimal(1), datetime(2026, 11, 12, 17, tzinfo=UTC)),
        ("EUR", "USD", Decimal("1.0799"), Decimal(1), datetime(2026, 11, 10, 17, tzinfo=UTC)),
    ]


def test_parse_fred_reads_a_per_dollar_series_as_usd_base():
    items = parse_fred((FIXTURES / "DEXJPUS.json").read_bytes(), "DEXJPUS")

    # DEXJPUS is yen per 1 US dollar; noon in New York is 16:00 UTC in July (EDT).
    assert [(i.base, i.target, i.rate, i.observed_at) for i in items] == [
        ("USD", "JPY", Decimal("154.3"), datetime(2026, 7, 2, 16, tzinfo=UTC)),
        ("USD", "JPY", Decimal("153.87"), datetime(2026, 7, 1, 16, tzinfo=UTC)),
    ]


@pytest.mark.parametrize(
    "body",
    [
        b'{"observations": []}',
        b'{"observations": [{"date": "2026-11-11", "value": "."}]}',
        b'{"error_code": 400, "error_message": "Bad Request. The value for variable api_key is'
        b' not registered."}',
    ],
)
def test_parse_fred_without_a_value_is_empty(body):
    assert parse_fred(body, "DEXUSEU") == []


@pytest.mark.parametrize(
    ("body", "series", "error"),
    [
        (b'{"observations": []}', "DEXXXUS", "unknown series"),
        (
            b'{"observations": [{"date": "2026-11-11", "value": "n/a"}]}',
            "DEXUSEU",
            "not a plain decimal",
        ),
        (b'{"observations": [{"date": "11/11/2026", "value": "1.08"}]}', "DEXUSEU", "isoformat"),
        (b'{"observations": [{"date": "2026-11-11", "value": 1.08}]}', "DEXUSEU", "without"),
        (b'{"observations": [["2026-11-11", "1.08"]]}', "DEXUSEU", "without"),
        (b"<html>503</html>", "DEXUSEU", "Expecting value"),
    ],
)
def test_parse_fred_rejects_what_it_cannot_read(body, series, error):
    with pytest.raises(ValueError, match=error):
        parse_fred(body, series)


def test_every_series_has_the_dollar_on_one_side():
    assert all("USD" in pair and len(set(pair)) == 2 for pair in SERIES.values())
    assert {s for s, pair in SERIES.items() if pair[1] == "USD"} == {
        "DEXUSAL", "DEXUSEU", "DEXUSNZ", "DEXUSUK"
    }  # fmt: skip


def test_fred_spider_pairs():
    # Asked pairs map to the series quoting them either way round; without targets, every series
    # of the bases.
    assert FredSpider(bases="USD", targets="EUR,JPY").pairs() == [("USD", "EUR"), ("USD", "JPY")]
    assert FredSpider(bases="USD", targets="EUR").pair_request("USD", "EUR").cb_kwargs == {
        "series": "DEXUSEU"
    }
    assert FredSpider().pair_request("USD", "ISK") is None
    assert sorted(FredSpider().pairs()) == sorted(SERIES.values())


@pytest.mark.skipif(not REAL.exists(), reason="shared real captures not present")
@pytest.mark.parametrize(
    ("series", "pair", "first", "last"),
    [
        ("DEXUSEU", ("EUR", "USD"), "1.169", "1.1444"),
        ("DEXJPUS", ("USD", "JPY"), "157.48", "159.54"),
        ("DEXUSUK", ("GBP", "USD"), "1.3393", "1.324"),
    ],
)
def test_parse_fred_on_real_captures(series, pair, first, last):
    items = parse_fred((REAL / f"{series}_2026-03.json").read_bytes(), series)

    # Ten business days, 2026-03-02 to 2026-03-13, oldest first; noon EST is 17:00 UTC.
    assert len(items) == 10
    assert {(i.base, i.target) for i in items} == {pair}
    assert (items[0].rate, items[0].observed_at) == (
        Decimal(first),
        datetime(2026, 3, 2, 17, tzinfo=UTC),
    )
    assert (items[-1].rate, items[-1].observed_at) == (
        Decimal(last),
        datetime(2026, 3, 13, 16, tzinfo=UTC),  # after the switch to EDT on 2026-03-08
    )


@pytest.fixture
def reference_data(transactional_db):
    load_reference_data("fred")


def test_crawl_fred_stores_the_series_of_the_pair(reference_data):
    routes = {
        "/fred/series/observations": file_route(FIXTURES / "DEXUSEU.json", "application/json")
    }
    with ReplayServer(routes) as server:
        result = crawl(
            "fred", "--base", "USD", "--target", "EUR", "--base-url", server.url,
            KOEL_FRED_API_KEY="fred-test-key",
        )  # fmt: skip

    assert result.returncode == 0, result.stderr[-2000:]
    assert "3 rates read, 3 new or changed" in result.stdout
    (path,) = [path for path, _headers in server.requests if path.startswith("/fred/")]
    query = parse_qs(urlsplit(path).query)
    assert (query["series_id"], query["api_key"], query["file_type"]) == (
        ["DEXUSEU"],
        ["fred-test-key"],
        ["json"],
    )
    assert "fred-test-key" not in result.stdout + result.stderr  # logged as <key>
    stored = {
        (r.base_id, r.target_id, r.rate, r.observed_at)
        for r in ExchangeRate.objects.filter(source_id="fred")
    }
    # Stored the way FRED quotes it, EUR→USD; Koel reads USD→EUR as its inverse.
    assert stored == {
        ("EUR", "USD", Decimal("1.0848"), datetime(2026, 11, 13, 17, tzinfo=UTC)),
        ("EUR", "USD", Decimal("1.0831"), datetime(2026, 11, 12, 17, tzinfo=UTC)),
        ("EUR", "USD", Decimal("1.0799"), datetime(2026, 11, 10, 17, tzinfo=UTC)),
    }


def test_crawl_fred_without_a_key_fails_clearly(reference_data):
    result = crawl("fred", "--base", "USD", "--target", "EUR", KOEL_FRED_API_KEY="")

    assert result.returncode != 0
    assert "fred needs an API key: set KOEL_FRED_API_KEY" in result.stderr
    assert not ExchangeRate.objects.filter(source_id="fred").exists()
