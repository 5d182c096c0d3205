"""Real Scrapy crawls, in a fresh process as in production, against a local replay server."""

from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings

from rates.ingest.loading import currencies_load, sources_load
from rates.models import ExchangeRate, Source

from .crawling import crawl
from .replay import ReplayServer, file_route

ROOT = Path(settings.BASE_DIR)
ECB_DAILY = Path(__file__).parent / "fixtures" / "ecb" / "eurofxref-daily.xml"
ECB_PATH = "/stats/eurofxref/eurofxref-daily.xml"


@pytest.fixture
def committed_reference_data(transactional_db):
    # The crawl runs in another process: it only sees committed rows.
    currencies_load()
    sources_load()
    Source.objects.filter(code="ecb").update(politeness_delay=0)


def test_crawl_ecb_stores_the_feed_through_the_pipeline(committed_reference_data):
    routes = {ECB_PATH: file_route(ECB_DAILY, "text/xml")}
    with ReplayServer(routes) as server:
        result = crawl("ecb", "--base-url", server.url)

    assert result.returncode == 0, result.stderr[-2000:]
    assert "4 rates read, 1 rejected, 3 new or changed" in result.stdout
    assert "rejected row 3: target: unknown currency 'XYZ'" in result.stderr
    assert "Scraped from" not in result.stderr  # per-item DEBUG records stay below LOG_LEVEL
    stored = {(r.target_id, r.rate) for r in ExchangeRate.objects.filter(source_id="ecb")}
    # XYZ is not a currency: rejected by the validation, the rest stored.
    assert stored == {
        ("USD", Decimal("1.0950")),
        ("JPY", Decimal("171.02")),
        ("GBP", Decimal("0.86125")),
    }
    # Every request, robots.txt included, carried a browser's User-Agent.
    agents = {headers.get("User-Agent") for _path, headers in server.requests}
    assert all(agent and agent.startswith("Mozilla/5.0") for agent in agents)


def test_crawl_uses_the_source_base_url_from_the_database(committed_reference_data):
    with ReplayServer({ECB_PATH: file_route(ECB_DAILY, "text/xml")}) as server:
        Source.objects.filter(code="ecb").update(base_url=server.url)
        result = crawl("ecb")

    assert result.returncode == 0, result.stderr[-2000:]
    assert ExchangeRate.objects.filter(source_id="ecb").count() == 3


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (200, b"<html><body>We changed our page</body></html>"),  # changed layout
        (200, b"\x00\xff garbled"),
        (404, b"gone"),
    ],
)
def test_crawl_that_reads_nothing_fails_and_writes_nothing(committed_reference_data, status, body):
    with ReplayServer({ECB_PATH: (status, body, "text/xml")}) as server:
        result = crawl("ecb", "--base-url", server.url)

    assert result.returncode != 0
    assert "0 rates read" in result.stderr
    assert not ExchangeRate.objects.filter(source_id="ecb").exists()


def test_crawl_of_an_unknown_source_is_a_clear_error(committed_reference_data):
    result = crawl("nosuchsource")

    assert result.returncode != 0
    assert "Unknown source 'nosuchsource'" in result.stderr


@pytest.mark.parametrize(("obey", "stored"), [(True, 0), (False, 3)])
def test_robots_txt_policy_is_per_source(committed_reference_data, obey, stored):
    Source.objects.filter(code="ecb").update(obey_robots_txt=obey)
    routes = {
        "/robots.txt": (200, b"User-agent: *\nDisallow: /stats/\n", "text/plain"),
        ECB_PATH: file_route(ECB_DAILY, "text/xml"),
    }
    with ReplayServer(routes) as server:
        crawl("ecb", "--base-url", server.url)

    assert ExchangeRate.objects.filter(source="ecb").count() == stored
