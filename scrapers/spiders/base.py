"""The base classes of Koel's spiders: arguments every source takes, the empty-page rule, one
request per pair for single-pair sources, items from a JSON rates object, and API keys kept out
of the logs."""

import logging
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from decimal import Decimal

import scrapy
from scrapy.exceptions import CloseSpider

from scrapers.items import ONE, RateItem
from scrapers.numbers import rate_number


class RateSpider(scrapy.Spider):
    """Spider arguments (strings, as `scrapy crawl -a` and the crawl command pass them):

    base_url  overrides `default_base_url` (tests and the offline demo point it at a local server)
    bases     comma-separated base currencies to fetch (multi-pair sources)
    targets   comma-separated targets to keep; empty keeps all
    """

    default_base_url = ""
    default_bases: tuple[str, ...] = ("USD",)

    def __init__(self, *args, base_url: str = "", bases: str = "", targets: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.base_url = (base_url or self.default_base_url).rstrip("/")
        self.bases = [b.upper() for b in bases.split(",") if b] or list(self.default_bases)
        self.targets = {t.upper() for t in targets.split(",") if t}

    def emit(self, items: Iterable[RateItem], *, page: str) -> Iterator[RateItem]:
        """Yield the wanted items of one page; a page with no rate at all is an error."""
        items = list(items)
        if not items:
            # A silent empty day is a bug (a changed layout, an error page), not data.
            raise CloseSpider(f"parsed no rates from {page}")
        for item in items:
            if not self.targets or item.target in self.targets:
                yield item


class SinglePairSpider(RateSpider):
    """A source that quotes one pair per request: one request per (base, target) in bases × targets.

    A single-pair site has no "every target", so `targets` is required: without it (and without
    `default_pairs()` of the subclass) the spider logs an error and requests nothing, and the crawl
    command fails with "0 rates read … 1 error(s)". A pair is kept whichever way round the source
    quotes it (FRED quotes EUR→USD for a USD→EUR request): Koel stores the quote as published and
    reads the inverse when asked the other way.

    One pair's page that parses to no rate is logged as a warning and does not stop the other
    pairs' requests (a site may lack one pair of sixty); the crawl still fails when no pair at
    all gave a rate, and a page that does not parse (ValueError) is an error, as elsewhere.
    """

    def pairs(self) -> list[tuple[str, str]]:
        if not self.targets:
            return self.default_pairs()
        return [(b, t) for b in self.bases for t in sorted(self.targets) if b != t]

    def default_pairs(self) -> list[tuple[str, str]]:
        return []

    def pair_request(self, base: str, target: str) -> scrapy.Request | None:
        """The request for one pair, or None when this source cannot quote it."""
        raise NotImplementedError

    async def start(self):
        pairs = self.pairs()
        if not pairs:
            self.logger.error(
                "%s quotes one pair per request: give the targets (crawl --target EUR …)", self.name
            )
            return
        unquoted = []
        for base, target in pairs:
            request = self.pair_request(base, target)
            if request is None:
                unquoted.append(f"{base}/{target}")
            else:
                yield request
        if unquoted:
            self.logger.info("%s has no quote for %s: skipped", self.name, ", ".join(unquoted))

    def emit(self, items: Iterable[RateItem], *, page: str) -> Iterator[RateItem]:
        items = list(items)
        if not items:
            self.logger.warning("parsed no rates from %s", page)
            return
        wanted = {frozenset(pair) for pair in self.pairs()}
        for item in items:
            if frozenset((item.base, item.target)) in wanted:
                yield item


def quote_items(
    base: str, rates: Mapping[str, object], when: datetime, *, source: str, per: Decimal = ONE
) -> list[RateItem]:
    """One item per entry of a JSON body's {code: rate} object (`per` base each), the base's own
    entry left out: the shape of most multi-pair APIs."""
    base = base.upper()
    return [
        RateItem(
            base, code.upper(), rate_number(rate, source=source, what=f"rate for {code}"), when, per
        )
        for code, rate in rates.items()
        if code.upper() != base
    ]


class _Redact(logging.Filter):
    def __init__(self, secret: str) -> None:
        super().__init__()
        self.secret = secret

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if self.secret in message:
            record.msg, record.args = message.replace(self.secret, "<key>"), None
        return True


def hide_in_logs(secret: str) -> None:
    """Write `secret` as <key> in every log record of this process from now on.

    For API keys that have to travel in URLs (FRED's query, ExchangeRate-API's path): Scrapy logs
    each request's URL ("Crawled (200) <GET …>", retries, HTTP errors). The filter goes on the root
    logger's handlers, through which every record passes; a crawl is one process and one spider.
    """
    if not secret:
        return
    for handler in logging.getLogger().handlers:
        if not any(getattr(f, "secret", None) == secret for f in handler.filters):
            handler.addFilter(_Redact(secret))
