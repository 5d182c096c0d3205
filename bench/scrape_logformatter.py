"""A Scrapy LOG_FORMATTER for bench/scrape.py's diagnostic crawl: no log record per item.

Scrapy logs every scraped item at DEBUG ("Scraped from <200 …>" and the item), and its
`scrapy` logger is set to DEBUG whatever LOG_LEVEL says when Scrapy's own root handler is not
installed (Koel's settings leave logging to Django's), so a full refresh writes one record per
rate. The bench runs one crawl with this formatter (`--set LOG_FORMATTER=...`) to show what that
costs; production crawls do not use it.
"""

from scrapy.logformatter import LogFormatter


class NoItemLog(LogFormatter):
    def scraped(self, item, response, spider):
        return None  # Scrapy skips the record when a LogFormatter method returns None
