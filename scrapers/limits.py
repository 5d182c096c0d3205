"""What a hostile page may cost a crawl: bounded by Scrapy, and the refusal put on the record.

Scrapy enforces DOWNLOAD_MAXSIZE on the bytes received (the download is cancelled as soon as
they pass it, or at once when Content-Length says they will) and, since 2.11.1, on the bytes a
gzip/deflate/brotli/zstd body decompresses to (a zip bomb is abandoned as soon as it outgrows
the limit, not inflated whole). It says so only in a WARNING, and the request's failure then
reads as "0 rates read". RefusalRecorder keeps that warning as the crawl's error (scrapers.outcome
`error`), which the run's attempt and the source's health record, and logs it as an ERROR.

Deeply nested markup needs no limit of Koel's: libxml2 (lxml, parsel) stops building the tree
past its depth limit (about 2,000 levels), so a page of a million nested tags parses in
milliseconds (tests/reliability/test_hostile_pages.py).
"""

import logging

from scrapy import signals

log = logging.getLogger(__name__)

REFUSED_KEY = "koel/refused"  # the crawl's stats: why a response was refused, as one line
# The loggers of the places that enforce the limits, and what their messages say.
LIMIT_LOGGERS = (
    "scrapy.core.downloader.handlers.http11",
    "scrapy.core.http2.stream",
    "scrapy.downloadermiddlewares.httpcompression",
)
LIMIT_WORDS = ("download max size", "DOWNLOAD_MAXSIZE")


class _Refusals(logging.Handler):
    def __init__(self, stats) -> None:
        super().__init__(level=logging.WARNING)
        self.stats = stats

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if any(word in message for word in LIMIT_WORDS) and not self.stats.get_value(REFUSED_KEY):
            self.stats.set_value(REFUSED_KEY, f"refused: {message}"[:500])
            log.error("response refused, over the crawl's size limits: %s", message)


class RefusalRecorder:
    """A Scrapy extension (EXTENSIONS in scrapers/scrapy_settings.py)."""

    def __init__(self, stats) -> None:
        self.handler = _Refusals(stats)

    @classmethod
    def from_crawler(cls, crawler):
        extension = cls(crawler.stats)
        crawler.signals.connect(extension.opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.closed, signal=signals.spider_closed)
        return extension

    def opened(self, spider) -> None:
        for name in LIMIT_LOGGERS:
            logging.getLogger(name).addHandler(self.handler)

    def closed(self, spider) -> None:
        for name in LIMIT_LOGGERS:
            logging.getLogger(name).removeHandler(self.handler)
