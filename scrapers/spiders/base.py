"""The base class of Koel's spiders: arguments every source takes, and the empty-page rule."""

from collections.abc import Iterable, Iterator

import scrapy
from scrapy.exceptions import CloseSpider

from scrapers.items import RateItem


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
