"""Running Scrapy: the project's settings, the spiders they find, one crawl in this process."""

import logging

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings
from scrapy.spiderloader import SpiderLoader

from .outcome import STATS_KEY, CrawlOutcome


def scrapy_settings() -> Settings:
    """Scrapy's settings for Koel (scrapers/scrapy_settings.py), to override per crawl."""
    settings = Settings()
    settings.setmodule("scrapers.scrapy_settings", priority="project")
    return settings


def spider_codes() -> set[str]:
    """The names of every spider, which are the codes of the sources that have one."""
    return set(SpiderLoader.from_settings(scrapy_settings()).list())


def run_spider(settings: Settings, spider_cls, arguments: dict) -> tuple[CrawlOutcome, dict]:
    """Crawl with `spider_cls` in this process (once: Twisted's reactor cannot restart) and
    return what the storage pipeline reported with the crawl's stats."""
    process = CrawlerProcess(settings)
    # Without its own root handler Scrapy leaves its logger at DEBUG, so Django's console
    # handler would print one record per scraped rate; LOG_LEVEL applies to it here.
    logging.getLogger("scrapy").setLevel(settings.get("LOG_LEVEL"))
    crawler = process.create_crawler(spider_cls)
    process.crawl(crawler, **arguments)
    process.start()
    stats = crawler.stats.get_stats()
    return stats.get(STATS_KEY) or CrawlOutcome(source=spider_cls.name), stats
