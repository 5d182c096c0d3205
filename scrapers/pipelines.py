"""Item pipelines: normalise and check each rate, then store a crawl's rates in one upsert."""

from typing import Self

from asgiref.sync import sync_to_async
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from rates.ingest.acceptance import rates_accept
from rates.reads import currency_names
from rates.types import RateRow

from .items import RateItem


class RateNormalizePipeline:
    """Divides out the quoting unit and drops what cannot be stored: codes Koel does not know
    (crypto coins, retired codes a site still lists) and non-positive rates. Dropping here keeps
    one odd row from failing the all-or-nothing upsert of the whole crawl."""

    def __init__(self) -> None:
        self.codes: set[str] = set()

    async def open_spider(self) -> None:
        self.codes = set(await sync_to_async(currency_names)(include_inactive=True))

    def process_item(self, item: RateItem) -> RateRow:
        unknown = {item.base, item.target} - self.codes
        if unknown:
            raise DropItem(f"unknown currency {', '.join(sorted(unknown))}")
        if not item.rate.is_finite() or item.rate <= 0 or item.per <= 0:
            raise DropItem(f"not a positive rate: {item}")
        if len(item.base) != 3 or len(item.target) != 3 or item.base == item.target:
            raise DropItem(f"not a currency pair: {item}")
        return item.to_row()


class RateStoragePipeline:
    """Buffers a crawl's rates and hands them to rates_accept (quarantine, then one upsert)
    when the spider closes."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.rows: list[RateRow] = []

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def process_item(self, item: RateRow) -> RateRow:
        self.rows.append(item)
        return item

    async def close_spider(self) -> None:
        if not self.rows:
            return
        # The ORM is sync-only, and Scrapy's asyncio reactor runs an event loop in this thread.
        result = await sync_to_async(rates_accept)(source=self.crawler.spider.name, rows=self.rows)
        self.crawler.stats.set_value("koel/rates_received", result.received)
        self.crawler.stats.set_value("koel/rates_written", result.written)
        self.crawler.stats.set_value("koel/rates_quarantined", result.quarantined)
        targets: dict[str, set[str]] = {}
        for row in self.rows:
            if (row.base, row.target) not in result.held:  # quarantined: not published
                targets.setdefault(row.base, set()).add(row.target)
        by_base = {base: sorted(codes) for base, codes in sorted(targets.items())}
        self.crawler.stats.set_value("koel/targets_by_base", by_base)
