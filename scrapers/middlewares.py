"""Downloader middlewares."""

import logging
import math
import random
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Self

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import NotConfigured
from scrapy.http import Response
from scrapy.settings import BaseSettings
from scrapy.utils import asyncio as scrapy_asyncio
from scrapy.utils.response import response_status_message

logger = logging.getLogger(__name__)


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


def retry_after_seconds(value: bytes | str | None, now: datetime | None = None) -> float | None:
    """The wait a `Retry-After` header asks for: delta-seconds or an HTTP-date; None if absent
    or unreadable. A date in the past means no wait."""
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    value = (value or "").strip()
    if not value:
        return None
    try:
        seconds = float(value)  # RFC 9110 says digits only; a lenient reader takes "1.5" too
    except ValueError:
        pass
    else:
        return seconds if math.isfinite(seconds) and seconds >= 0 else None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # "-0000": an HTTP-date is always GMT
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def backoff_seconds(attempt: int, base: float, cap: float, rng: random.Random) -> float:
    """Exponential backoff with jitter before retry number `attempt` (1, 2, …): a random wait
    between half and all of base × 2^(attempt-1), the latter capped at `cap`."""
    ceiling = min(cap, base * 2 ** min(attempt - 1, 32))
    return rng.uniform(ceiling / 2, ceiling)


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's RetryMiddleware (same RETRY_* settings, stats and give-up log) that waits before
    each retry: as long as a retryable response's Retry-After header asks, or gives up when that
    is over RETRY_AFTER_MAX; else exponential backoff (RETRY_BACKOFF_BASE, RETRY_BACKOFF_MAX),
    for timeouts and connection errors too.

    The wait is an async sleep on the reactor's event loop inside this request's middleware
    chain: other requests go on meanwhile (the download slot is already free).
    """

    def __init__(self, settings: BaseSettings) -> None:
        super().__init__(settings)
        self.backoff_base = settings.getfloat("RETRY_BACKOFF_BASE", 2.0)
        self.backoff_max = settings.getfloat("RETRY_BACKOFF_MAX", 60.0)
        self.retry_after_max = settings.getfloat("RETRY_AFTER_MAX", 120.0)
        self.rng = random.Random()  # noqa: S311 - jitter, not cryptography

    async def process_response(self, request: Request, response: Response) -> Request | Response:
        if request.meta.get("dont_retry", False) or response.status not in self.retry_http_codes:
            return response
        reason = response_status_message(response.status)
        wait = retry_after_seconds(response.headers.get(b"Retry-After"))
        if wait is not None and wait > self.retry_after_max:
            self.crawler.stats.inc_value("retry/retry_after_too_long")
            logger.error(
                "Gave up retrying %(request)s (%(reason)s): the server asks to retry after "
                "%(wait).0f s, more than RETRY_AFTER_MAX (%(max)g s)",
                {"request": request, "reason": reason, "wait": wait, "max": self.retry_after_max},
            )
            return response
        retry = self._retry(request, reason)
        if retry is None:
            return response
        await self._wait(retry, reason, wait)
        return retry

    async def process_exception(self, request: Request, exception: Exception) -> Request | None:
        if request.meta.get("dont_retry", False) or not isinstance(
            exception, self.exceptions_to_retry
        ):
            return None
        retry = self._retry(request, exception)
        if retry is not None:
            await self._wait(retry, exception.__class__.__name__, None)
        return retry

    async def _wait(self, retry: Request, reason: str, retry_after: float | None) -> None:
        attempt = retry.meta["retry_times"]
        if retry_after is None:
            wait = backoff_seconds(attempt, self.backoff_base, self.backoff_max, self.rng)
            why = "backoff"
        else:
            wait, why = retry_after, "Retry-After"
        logger.info(
            "Retry %(attempt)d of %(request)s (%(reason)s) in %(wait).1f s (%(why)s)",
            {"attempt": attempt, "request": retry, "reason": reason, "wait": wait, "why": why},
        )
        if wait > 0:
            await scrapy_asyncio.sleep(wait)
