"""Downloader middlewares."""

import random
from typing import Self

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured


class RotatingUserAgentMiddleware:
    """Gives every request a User-Agent drawn from USER_AGENTS (a real browser's)."""

    def __init__(self, user_agents: list[str], rng: random.Random) -> None:
        self.user_agents, self.rng = user_agents, rng

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        agents = crawler.settings.getlist("USER_AGENTS")
        if not agents:
            raise NotConfigured("USER_AGENTS is empty")  # Scrapy's own UA then applies
        return cls(agents, random.Random())  # noqa: S311 - not cryptographic

    def process_request(self, request: Request) -> None:
        request.headers[b"User-Agent"] = self.rng.choice(self.user_agents)
