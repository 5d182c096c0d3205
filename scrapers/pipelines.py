"""Item pipelines: turn what a spider saw into rate rows, then hand a crawl's rows to rates.

Whether a row is a valid rate (a currency Koel knows, a positive finite rate, a sane time) is
decided once, in rates.ingest.validation, when the rows are accepted: a row it rejects is logged
with its reason and left out, so one odd row (a coin a site lists) does not fail the crawl.
"""

import logging
from typing import Self

from asgiref.sync import sync_to_async
from scrapy.crawler import Crawler

from rates.ingest.acceptance import rates_accept
from rates.types import RateRow

from .items import RateItem
from .outcome import STATS_KEY, CrawlOutcome

logger = logging.getLogger(__name__)


class RateNormalizePipeline:
    """Divides out the site's quoting unit: "100 JPY = 0.6512 USD" becomes 1 JPY = 0.006512."""

    def process_item(self, item: RateItem) -> RateRow:
        return item.to_row()


class RateStoragePipeline:
    """Buffers a crawl's rows and hands them to rates_accept (validation, quarantine, then one
    upsert) when the spider closes; leaves what happened in the stats as a CrawlOutcome."""

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
        source = self.crawler.spider.name
        # The ORM is sync-only, and Scrapy's asyncio reactor runs an event loop in this thread.
        result = await sync_to_async(rates_accept)(source=source, rows=self.rows, drop_invalid=True)
        for error in result.rejected:
            logger.warning("%s: rejected %s (%s)", source, error, self.rows[error.index])
        outcome = CrawlOutcome(
            source=source,
            received=result.received,
            rejected=len(result.rejected),
            written=result.written,
            quarantined=result.quarantined,
            bases=result.published_by_base(),
        )
        self.crawler.stats.set_value(STATS_KEY, outcome)
