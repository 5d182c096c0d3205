import asyncio
import random
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from scrapy import Request, Spider
from scrapy.exceptions import DownloadTimeoutError, NotConfigured
from scrapy.http import Response
from scrapy.settings import Settings
from scrapy.settings.default_settings import DOWNLOADER_MIDDLEWARES_BASE
from scrapy.utils import asyncio as scrapy_asyncio
from scrapy.utils.conf import build_component_list
from scrapy.utils.misc import build_from_crawler
from scrapy.utils.test import get_crawler

from scrapers import scrapy_settings
from scrapers.middlewares import (
    BackoffRetryMiddleware,
    RotatingUserAgentMiddleware,
    backoff_seconds,
    retry_after_seconds,
)

from .replay import ReplayServer, Reply


def test_user_agent_rotates_across_requests():
    middleware = RotatingUserAgentMiddleware(["ua-1", "ua-2", "ua-3"], random.Random(7))  # noqa: S311
    seen = set()
    for _ in range(30):
        request = Request("http://127.0.0.1/")
        middleware.process_request(request)
        seen.add(request.headers[b"User-Agent"].decode())

    assert seen == {"ua-1", "ua-2", "ua-3"}


def test_user_agents_come_from_real_desktop_browsers():
    agents = scrapy_settings.USER_AGENTS

    assert len(agents) >= 20
    assert all(agent.startswith("Mozilla/5.0") for agent in agents)
    assert not any("Mobile" in agent for agent in agents)


def test_middleware_is_disabled_without_user_agents():
    crawler = get_crawler(settings_dict={"USER_AGENTS": []})

    with pytest.raises(NotConfigured):
        build_from_crawler(RotatingUserAgentMiddleware, crawler)


def test_politeness_settings():
    # ~1.2 s between requests to one site, randomised, one at a time: at most ~50 a minute.
    assert pytest.approx(1.2) == scrapy_settings.DOWNLOAD_DELAY
    assert scrapy_settings.DOWNLOAD_DELAY_JITTER == 0.5
    assert scrapy_settings.CONCURRENT_REQUESTS_PER_DOMAIN == 1
    assert scrapy_settings.AUTOTHROTTLE_ENABLED is True
    assert {429, 500, 503} <= set(scrapy_settings.RETRY_HTTP_CODES)
    assert scrapy_settings.DEFAULT_REQUEST_HEADERS["Accept-Language"].startswith("en")


# Retries with backoff (BackoffRetryMiddleware)

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("header", "seconds"),
    [("1", 1.0), (b"120", 120.0), (" 30 ", 30.0), ("0", 0.0), ("1.5", 1.5)],
)
def test_retry_after_in_seconds(header, seconds):
    assert retry_after_seconds(header, now=NOW) == seconds


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("Thu, 01 Jan 2026 12:00:30 GMT", 30.0),
        (b"Thu, 01 Jan 2026 12:02:00 GMT", 120.0),
        ("Thu, 01 Jan 2026 13:00:30 +0100", 30.0),
        ("Thu, 01 Jan 2026 12:00:30 -0000", 30.0),
        ("Thu, 01 Jan 2026 11:00:00 GMT", 0.0),  # already past: no wait
    ],
)
def test_retry_after_as_an_http_date(header, seconds):
    assert retry_after_seconds(header, now=NOW) == seconds


@pytest.mark.parametrize("header", [None, "", b"", "soon", "-5", "nan", "inf", "1s", b"\xff\xfe"])
def test_unreadable_retry_after_is_none(header):
    assert retry_after_seconds(header, now=NOW) is None


class Extremes(random.Random):
    def __init__(self, pick: int) -> None:
        super().__init__()
        self.pick = pick

    def uniform(self, a: float, b: float) -> float:
        return (a, b)[self.pick]


def test_backoff_doubles_from_the_base_up_to_the_cap():
    highest, lowest = Extremes(1), Extremes(0)
    waits = [backoff_seconds(attempt, 2.0, 60.0, highest) for attempt in range(1, 8)]

    assert waits == [2.0, 4.0, 8.0, 16.0, 32.0, 60.0, 60.0]
    assert backoff_seconds(1, 2.0, 60.0, lowest) == 1.0  # jitter: half to all of it
    assert backoff_seconds(10, 2.0, 60.0, lowest) == 30.0
    assert backoff_seconds(10_000, 2.0, 60.0, highest) == 60.0  # no overflow


def test_backoff_is_jittered_within_its_bounds():
    rng = random.Random(3)  # noqa: S311
    waits = [backoff_seconds(3, 0.5, 60.0, rng) for _ in range(200)]

    assert all(1.0 <= wait <= 2.0 for wait in waits)
    assert len(set(waits)) > 100


def test_scrapys_retry_middleware_is_replaced_in_place():
    settings = Settings()
    settings.setmodule(scrapy_settings, priority="project")
    enabled = build_component_list(settings.getwithbase("DOWNLOADER_MIDDLEWARES"))

    ours = scrapy_settings.DOWNLOADER_MIDDLEWARES["scrapers.middlewares.BackoffRetryMiddleware"]
    scrapys = DOWNLOADER_MIDDLEWARES_BASE["scrapy.downloadermiddlewares.retry.RetryMiddleware"]

    assert "scrapy.downloadermiddlewares.retry.RetryMiddleware" not in enabled
    assert "scrapers.middlewares.BackoffRetryMiddleware" in enabled
    assert ours == scrapys
    assert scrapy_settings.RETRY_AFTER_MAX == 120
    assert scrapy_settings.RETRY_BACKOFF_BASE == 2
    assert scrapy_settings.RETRY_BACKOFF_MAX == 60


@pytest.fixture
def retry_mw(monkeypatch):
    """A BackoffRetryMiddleware (RETRY_TIMES 2, backoff from 2 s) that records its waits."""
    crawler = get_crawler(Spider, {"RETRY_TIMES": 2, "RETRY_BACKOFF_BASE": 2.0})
    crawler.spider = crawler._create_spider("test")
    middleware = build_from_crawler(BackoffRetryMiddleware, crawler)
    middleware.waits = []

    async def sleep(seconds: float) -> None:
        middleware.waits.append(seconds)

    monkeypatch.setattr(scrapy_asyncio, "sleep", sleep)
    return middleware


RETRY_AFTER_7 = {"Retry-After": "7"}


def answer(request: Request, status: int, **headers: str) -> Response:
    return Response(request.url, status=status, headers=headers, request=request)


def test_retry_after_is_waited_before_the_retry(retry_mw):
    request = Request("http://127.0.0.1/feed")

    retry = asyncio.run(retry_mw.process_response(request, answer(request, 429, **RETRY_AFTER_7)))

    assert isinstance(retry, Request)
    assert retry.meta["retry_times"] == 1
    assert retry_mw.waits == [7.0]


def test_retry_after_over_the_cap_gives_up(retry_mw, caplog):
    request = Request("http://127.0.0.1/feed")
    response = answer(request, 503, **{"Retry-After": "300"})

    result = asyncio.run(retry_mw.process_response(request, response))

    assert result is response
    assert retry_mw.waits == []
    assert "retry after 300 s, more than RETRY_AFTER_MAX (120 s)" in caplog.text
    assert retry_mw.crawler.stats.get_value("retry/retry_after_too_long") == 1


def test_5xx_without_retry_after_backs_off(retry_mw):
    request = Request("http://127.0.0.1/feed")

    first = asyncio.run(retry_mw.process_response(request, answer(request, 500)))
    second = asyncio.run(retry_mw.process_response(first, answer(first, 502)))
    gave_up = asyncio.run(retry_mw.process_response(second, answer(second, 500)))

    assert second.meta["retry_times"] == 2
    assert gave_up.status == 500  # RETRY_TIMES is 2: the response goes on to the spider
    assert len(retry_mw.waits) == 2
    assert 1.0 <= retry_mw.waits[0] <= 2.0
    assert 2.0 <= retry_mw.waits[1] <= 4.0


def test_timeout_backs_off_like_a_5xx(retry_mw):
    request = Request("http://127.0.0.1/feed")

    retry = asyncio.run(retry_mw.process_exception(request, DownloadTimeoutError("slow")))
    ignored = asyncio.run(retry_mw.process_exception(request, ValueError("not ours")))

    assert isinstance(retry, Request)
    assert ignored is None
    assert len(retry_mw.waits) == 1
    assert 1.0 <= retry_mw.waits[0] <= 2.0


def test_good_or_unretryable_responses_pass_untouched(retry_mw):
    request = Request("http://127.0.0.1/feed")
    ok, missing = answer(request, 200, **RETRY_AFTER_7), answer(request, 404)
    no_retry = Request("http://127.0.0.1/feed", meta={"dont_retry": True})
    busy = answer(no_retry, 503, **RETRY_AFTER_7)

    assert asyncio.run(retry_mw.process_response(request, ok)) is ok
    assert asyncio.run(retry_mw.process_response(request, missing)) is missing
    assert asyncio.run(retry_mw.process_response(no_retry, busy)) is busy
    assert retry_mw.waits == []


WAIT_ALONGSIDE = """
import sys
from scrapy import Request, Spider
from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

class TwoPages(Spider):
    name = "two"

    async def start(self):
        yield Request(sys.argv[1] + "/busy", priority=1)  # first
        yield Request(sys.argv[1] + "/other")

    def parse(self, response):
        pass

settings = Settings()
settings.setmodule("scrapers.scrapy_settings", priority="project")
settings.setdict({"SPIDER_MODULES": [], "ITEM_PIPELINES": {}, "ROBOTSTXT_OBEY": False,
                  "DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False, "LOG_LEVEL": "INFO"},
                 priority="cmdline")
process = CrawlerProcess(settings)
process.crawl(TwoPages)
process.start()
"""


def test_a_retry_wait_does_not_hold_up_other_requests():
    # One request at a time per site, as in production: the wait is not a download.
    busy = Reply(429, b"busy", headers={"Retry-After": "1"})
    routes = {"/busy": [busy, (200, b"ok", "text/plain")], "/other": (200, b"ok", "text/plain")}
    with ReplayServer(routes) as server:
        result = subprocess.run(
            [sys.executable, "-c", WAIT_ALONGSIDE, server.url],
            cwd=Path(__file__).parents[2],
            capture_output=True,
            text=True,
            timeout=60,
        )

    assert result.returncode == 0, result.stderr[-2000:]
    (other,) = server.times("/other")
    first, retry = server.times("/busy")
    assert other - first < 0.5  # fetched during the wait
    assert retry - first >= 1.0
