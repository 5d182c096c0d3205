"""Live quotes fetched in this process: one request per pair to each live source, in failover
order, with the source's own spider building the request and parsing the answer.

The monitor's tick runs every 30 seconds; a child `manage.py crawl` process per source costs
more than a second of start-up each time (figures in docs/monitor.md), so the live path skips
Scrapy's engine but keeps what makes a crawl polite and correct: the spider's `pair_request`
and `parse` (the same parsers as the daily crawls), the rotating browser User-Agent
(RotatingUserAgentMiddleware) and default headers of scrapers/scrapy_settings.py, one request
in flight per source at a time over one kept-alive connection, no retry within a tick (the next
tick is the retry), and a source that answers 429, 5xx or not at all is asked nothing more this
tick. Each source's attempt counts towards its health and circuit breaker (rates.runs.health),
as a crawl's does; how many requests a minute a source may get is the monitor's budget.
"""

import logging
import random
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache

import urllib3
from django.conf import settings
from scrapy.http import TextResponse
from scrapy.spiderloader import SpiderLoader

from rates.models import Source
from rates.runs.health import source_attempt_record, source_availability
from rates.types import RateRow

from .crawling import scrapy_settings
from .middlewares import RotatingUserAgentMiddleware
from .spiders.base import SinglePairSpider

logger = logging.getLogger(__name__)

Pair = tuple[str, str]

# Kept between ticks: a worker's next tick reuses the open connections (no TCP/TLS set-up).
_POOL = urllib3.PoolManager(num_pools=8, maxsize=1, block=True, retries=False)


class SourceDown(Exception):
    """The source as a whole did not answer (connection, timeout, 429, 5xx): ask it no more."""


@dataclass
class SourceAnswer:
    """What one live source gave this tick."""

    source: str
    rows: list[RateRow] = field(default_factory=list)
    missed: list[Pair] = field(default_factory=list)
    requests: int = 0
    seconds: float = 0.0
    error: str = ""  # why the source or one of its pairs failed, "" when none did

    @property
    def ok(self) -> bool:
        return bool(self.rows)


def live_quotes(*, sources: Sequence[str], pairs: Sequence[Pair]) -> list[SourceAnswer]:
    """Ask each source in turn for the pairs no earlier source answered; one answer per source
    asked (a source skipped by its circuit breaker answers nothing, with the reason)."""
    answers, todo = [], list(pairs)
    for code in sources:
        if not todo:
            break
        answer = source_quotes(code, todo)
        answers.append(answer)
        answered = {frozenset((row.base, row.target)) for row in answer.rows}
        todo = [pair for pair in todo if frozenset(pair) not in answered]
    return answers


def source_quotes(code: str, pairs: Sequence[Pair]) -> SourceAnswer:
    """One request per pair to source `code`, one at a time, stopping at the first sign that
    the source is down; records the attempt in the source's health."""
    answer = SourceAnswer(code)
    source = Source.objects.filter(code=code).first()
    availability = source_availability(source) if source else None
    if availability is None or not availability.usable:
        answer.missed = list(pairs)
        answer.error = f"{code}: " + (availability.reason if availability else "unknown source")
        return answer
    started = time.monotonic()
    spider = live_spider(code, pairs)
    for index, (base, target) in enumerate(pairs):
        try:
            answer.requests += 1
            rows = _pair_rows(spider, base, target)
        except SourceDown as error:
            answer.error = f"{code}: {error}"
            answer.missed.extend(pairs[index:])
            break
        except ValueError as error:  # a page that does not parse: this pair only
            answer.error, rows = f"{code} {base}/{target}: {error}", []
        answer.rows.extend(rows)
        if not rows:
            answer.missed.append((base, target))
            answer.error = answer.error or f"{code}: no quote for {base}/{target}"
    answer.seconds = round(time.monotonic() - started, 4)
    source_attempt_record(code, ok=answer.ok, seconds=answer.seconds, error=answer.error)
    return answer


def live_spider(code: str, pairs: Iterable[Pair]) -> SinglePairSpider:
    """The source's spider, built as a crawl would build it for these pairs."""
    bases = ",".join(sorted({base for base, _ in pairs}))
    targets = ",".join(sorted({target for _, target in pairs}))
    return _spider_class(code)(base_url=live_base_url(code), bases=bases, targets=targets)


def live_base_url(code: str) -> str:
    """Where to reach source `code`: KOEL_LIVE_BASE_URLS, the offline demo, else the site."""
    if code in settings.KOEL_LIVE_BASE_URLS:
        return settings.KOEL_LIVE_BASE_URLS[code]
    if settings.KOEL_DEMO:
        return f"{settings.KOEL_DEMO_URL.rstrip('/')}/{code}"
    return ""


@cache
def _spider_class(code: str) -> type[SinglePairSpider]:
    spider = SpiderLoader.from_settings(scrapy_settings()).load(code)
    if not issubclass(spider, SinglePairSpider):
        raise ValueError(f"{code} is not a single-pair source: it cannot be a live source")
    return spider


@cache
def _headers() -> tuple[dict[str, str], RotatingUserAgentMiddleware]:
    crawl_settings = scrapy_settings()
    headers = dict(crawl_settings.getdict("DEFAULT_REQUEST_HEADERS"))
    agents = RotatingUserAgentMiddleware(crawl_settings.getlist("USER_AGENTS"), random.Random())  # noqa: S311
    return headers, agents


def _pair_rows(spider: SinglePairSpider, base: str, target: str) -> list[RateRow]:
    """The rows the spider parses from the source's answer for one pair."""
    request = spider.pair_request(base, target)
    if request is None:
        return []
    headers, agents = _headers()
    agents.process_request(request)
    headers = {**headers, **request.headers.to_unicode_dict()}
    try:
        reply = _POOL.request(
            "GET", request.url, headers=headers, timeout=settings.KOEL_LIVE_TIMEOUT, redirect=True
        )
    except urllib3.exceptions.HTTPError as error:
        raise SourceDown(f"{type(error).__name__}: {error}") from error
    if reply.status == 429 or reply.status >= 500:
        raise SourceDown(f"HTTP {reply.status} from {request.url}")
    if reply.status != 200:
        logger.warning("live %s: HTTP %s from %s", spider.name, reply.status, request.url)
        return []
    response = TextResponse(
        url=request.url,
        status=reply.status,
        headers=dict(reply.headers),
        body=reply.data,
        request=request,
        encoding="utf-8",
    )
    wanted = frozenset((base, target))
    return [
        item.to_row() for item in request.callback(response) if {item.base, item.target} == wanted
    ]
