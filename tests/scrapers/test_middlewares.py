import random

import pytest
from scrapy import Request
from scrapy.exceptions import NotConfigured
from scrapy.utils.misc import build_from_crawler
from scrapy.utils.test import get_crawler

from scrapers import scrapy_settings
from scrapers.middlewares import RotatingUserAgentMiddleware


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
    assert scrapy_settings.RANDOMIZE_DOWNLOAD_DELAY is True
    assert scrapy_settings.CONCURRENT_REQUESTS_PER_DOMAIN == 1
    assert scrapy_settings.AUTOTHROTTLE_ENABLED is True
    assert {429, 500, 503} <= set(scrapy_settings.RETRY_HTTP_CODES)
    assert scrapy_settings.DEFAULT_REQUEST_HEADERS["Accept-Language"].startswith("en")
