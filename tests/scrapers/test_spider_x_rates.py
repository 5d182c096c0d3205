from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from rates.models import ExchangeRate
from scrapers.spiders.x_rates import XRatesSpider, parse_x_rates

from .crawling import crawl, http_body, load_reference_data
from .replay import ReplayServer, file_route

FIXTURES = Path(__file__).parent / "fixtures" / "x_rates"
REAL = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "real" / "x-rates"
TABLE = (FIXTURES / "table_USD.html").read_bytes()


def test_parse_x_rates_reads_the_alphabetical_table_as_one_base_in_target():
    items = parse_x_rates(TABLE)

    # The "Top 10" table above repeats EUR and JPY: only the alphabetical one is read, once.
    # Codes come from the first link's `to=` (IRR's link is relative, as in 2014); the second
    # cell (the inverse) is ignored.
    assert [(i.base, i.target, i.rate, i.per) for i in items] == [
        ("USD", "EUR", Decimal("0.921830"), Decimal(1)),
        ("USD", "IRR", Decimal("1402511.250000"), Decimal(1)),
        ("USD", "JPY", Decimal("154.300000"), Decimal(1)),
        ("USD", "KWD", Decimal("0.307450"), Decimal(1)),
    ]
    assert {i.observed_at for i in items} == {datetime(2026, 11, 20, 9, 41, tzinfo=UTC)}


def test_parse_x_rates_of_a_day_without_data_is_empty():
    # HTTP 200 with <div class='norates'>: the spider's emit() turns [] into a failed crawl.
    assert parse_x_rates((FIXTURES / "historical_EUR_no-data.html").read_bytes()) == []


def test_parse_x_rates_of_a_changed_layout_is_empty():
    assert parse_x_rates(b"<html><body><table class='ratesTable'></table></body></html>") == []


def test_parse_x_rates_reads_another_amount_as_the_quoting_unit():
    body = TABLE.replace(
        b"<th class='rtHeader rtHeaderValues'>1.00 USD</th>",
        b"<th class='rtHeader rtHeaderValues'>10.00 USD</th>",
    )

    items = parse_x_rates(body)

    assert {i.per for i in items} == {Decimal("10.00")}
    # The pipeline divides it out: 10 USD = 9.21830 EUR is 1 USD = 0.921830 EUR.
    assert items[0].to_row().rate == Decimal("0.0921830")


def test_parse_x_rates_strips_thousands_separators():
    body = TABLE.replace(b">1402511.250000<", b">1,402,511.250000<")

    assert parse_x_rates(body)[1].rate == Decimal("1402511.250000")


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (b">154.300000<", b">154,3<", "not a plain decimal"),
        (b">154.300000<", b">n/a<", "not a plain decimal"),
        (b"from=USD&amp;to=KWD", b"from=USD", "row link"),
        (b"from=USD&amp;to=KWD", b"from=EUR&amp;to=KWD", "row link"),
        (b"Nov 20, 2026 09:41 UTC", b"20/11/2026 09:41", "timestamp"),
        (b"1.00 USD</th>", b"USD</th>", "header"),
    ],
)
def test_parse_x_rates_rejects_rows_it_cannot_read(old, new, message):
    with pytest.raises(ValueError, match=message):
        parse_x_rates(TABLE.replace(old, new))


def test_x_rates_spider_asks_for_the_historical_table_of_a_date():
    assert XRatesSpider(date="2016-04-02").date == "2016-04-02"
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        XRatesSpider(date="02/04/2016")


@pytest.mark.skipif(not REAL.exists(), reason="shared real captures not present")
@pytest.mark.parametrize(
    ("name", "base", "count", "stamp", "spots"),
    [
        (
            "table_USD_2026-06-10.html",
            "USD",
            50,
            datetime(2026, 6, 10, 11, 22, tzinfo=UTC),
            {"EUR": "0.865989", "JPY": "160.484383", "IRR": "1374507.511391", "RON": "4.535391"},
        ),
        (
            "table_CNY_2026-06-10.html",
            "CNY",
            50,
            datetime(2026, 6, 10, 11, 22, tzinfo=UTC),
            {"USD": "0.147526", "EUR": "0.127756", "JPY": "23.675562"},
        ),
        (
            "historical_USD_2016-04-02.html",
            "USD",
            53,
            datetime(2016, 4, 2, 16, 0, tzinfo=UTC),
            {"EUR": "0.877968", "JPY": "111.693708", "VEF": "6.349606", "IRR": "30191.000000"},
        ),
        (
            "historical_GBP_2019-01-20.html",
            "GBP",
            52,
            datetime(2019, 1, 20, 17, 0, tzinfo=UTC),
            {"USD": "1.287451", "EUR": "1.132836", "JPY": "141.312935"},
        ),
    ],
)
def test_parse_x_rates_on_real_captures(name, base, count, stamp, spots):
    items = parse_x_rates((REAL / name).read_bytes())
    rates = {i.target: i.rate for i in items}

    assert len(items) == len(rates) == count  # each target once: the Top 10 is not re-read
    assert {i.base for i in items} == {base}
    assert {i.observed_at for i in items} == {stamp}
    assert {i.per for i in items} == {Decimal(1)}
    assert {code: rates[code] for code in spots} == {c: Decimal(v) for c, v in spots.items()}


@pytest.mark.skipif(not REAL.exists(), reason="shared real captures not present")
def test_parse_x_rates_on_the_real_no_data_day_is_empty():
    assert parse_x_rates((REAL / "historical_EUR_1986-04-02_no-data.html").read_bytes()) == []


@pytest.mark.skipif(not REAL.exists(), reason="shared real captures not present")
def test_parse_x_rates_on_the_real_2014_page_once_its_http_envelope_is_decoded():
    # A raw HTTP/1.1 response off a socket: headers, then the 2014 page in chunked encoding.
    # Scrapy hands the parser the decoded body, so the test decodes it the same way first.
    raw = (REAL / "table_USD_2014-04-05_raw-http-chunked.txt").read_bytes()
    items = parse_x_rates(http_body(raw))
    rates = {i.target: i.rate for i in items}

    # 55 rows (LTL, LVL and VEF still quoted); links relative (/graph/?from=USD&amp;to=EUR).
    assert len(items) == len(rates) == 55
    assert {i.base for i in items} == {"USD"}
    assert {i.observed_at for i in items} == {datetime(2014, 4, 5, 5, 37, tzinfo=UTC)}
    assert rates["EUR"] == Decimal("0.729835")
    assert rates["JPY"] == Decimal("103.285000")
    assert rates["LVL"] == Decimal("0.512650")
    assert rates["RON"] == Decimal("3.254650")  # the row a chunk boundary cuts in the raw file


@pytest.mark.skipif(not REAL.exists(), reason="shared real captures not present")
def test_parse_x_rates_on_the_raw_2014_bytes_fails_loudly():
    # Undecoded, a chunk-size line ("39e4") sits inside RON's link, which then names no base:
    # the parser raises rather than returning the rows around it as a complete table.
    raw = (REAL / "table_USD_2014-04-05_raw-http-chunked.txt").read_bytes()

    with pytest.raises(ValueError, match="row link is not USD"):
        parse_x_rates(raw)


@pytest.fixture
def reference_data(transactional_db):
    load_reference_data("x_rates")


def test_crawl_x_rates_stores_the_table(reference_data):
    with ReplayServer({"/table/": file_route(FIXTURES / "table_USD.html", "text/html")}) as server:
        result = crawl("x_rates", "--base", "USD", "--base-url", server.url)

    assert result.returncode == 0, result.stderr[-2000:]
    assert "4 rates read, 4 new or changed" in result.stdout
    assert any(path == "/table/?from=USD&amount=1" for path, _headers in server.requests)
    stored = {
        (r.base_id, r.target_id, r.rate, r.observed_at)
        for r in ExchangeRate.objects.filter(source_id="x_rates")
    }
    when = datetime(2026, 11, 20, 9, 41, tzinfo=UTC)
    assert stored == {
        ("USD", "EUR", Decimal("0.921830"), when),
        ("USD", "IRR", Decimal("1402511.250000"), when),
        ("USD", "JPY", Decimal("154.300000"), when),
        ("USD", "KWD", Decimal("0.307450"), when),
    }


def test_crawl_x_rates_of_a_day_without_data_fails(reference_data):
    routes = {"/table/": file_route(FIXTURES / "historical_EUR_no-data.html", "text/html")}
    with ReplayServer(routes) as server:
        result = crawl("x_rates", "--base", "EUR", "--base-url", server.url)

    assert result.returncode != 0
    assert "0 rates read" in result.stderr
    assert not ExchangeRate.objects.filter(source_id="x_rates").exists()


def test_crawl_x_rates_of_a_past_day_passes_the_date_argument(reference_data):
    routes = {"/historical/": file_route(FIXTURES / "table_USD.html", "text/html")}
    with ReplayServer(routes) as server:
        result = crawl(
            "x_rates", "--base", "USD", "--arg", "date=2024-01-05", "--base-url", server.url
        )

    assert result.returncode == 0, result.stderr[-2000:]
    paths = [path for path, _headers in server.requests if path != "/robots.txt"]
    assert paths == ["/historical/?from=USD&amount=1&date=2024-01-05"]


def test_crawl_refuses_a_malformed_spider_argument(reference_data):
    result = crawl("x_rates", "--arg", "date")

    assert result.returncode != 0
    assert "--arg wants NAME=VALUE" in result.stderr
