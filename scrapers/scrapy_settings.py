"""Scrapy settings for every Koel spider (a source may override them in `custom_settings`).

Politeness: one request at a time per site, about 1.2 s apart, randomised (0.5×–1.5×), so no
site sees more than ~50 requests a minute; AutoThrottle slows down further when a site answers
slowly. Failures are retried on 429, 5xx and timeouts, with a wait before each retry
(scrapers.middlewares.BackoffRetryMiddleware, in place of Scrapy's RetryMiddleware).
"""

from scrapers.user_agents import desktop_user_agents

BOT_NAME = "koel"
SPIDER_MODULES = ["scrapers.spiders"]
NEWSPIDER_MODULE = "scrapers.spiders"

ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS_PER_DOMAIN = 1
DOWNLOAD_DELAY = 1.2
DOWNLOAD_DELAY_JITTER = 0.5  # each delay is drawn from 0.5x-1.5x DOWNLOAD_DELAY
DOWNLOAD_TIMEOUT = 20
# Hostile or broken pages (issue 13): no rates page Koel reads is over a few hundred KB. Past
# DOWNLOAD_MAXSIZE a download is cancelled, and a compressed body abandoned once it inflates past
# it (Scrapy >= 2.11.1); scrapers.limits.RefusalRecorder makes that the crawl's recorded error.
DOWNLOAD_MAXSIZE = 16 * 1024 * 1024
DOWNLOAD_WARNSIZE = 4 * 1024 * 1024
EXTENSIONS = {"scrapers.limits.RefusalRecorder": 500}

AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.2
AUTOTHROTTLE_MAX_DELAY = 60.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0

RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [429, 500, 502, 503, 504, 522, 524, 408]
# Before a retry, BackoffRetryMiddleware waits:
# - as long as the response's Retry-After header asks (seconds or an HTTP-date), unless that is
#   more than RETRY_AFTER_MAX seconds: then it gives up on the request and logs an error;
# - otherwise (no Retry-After, or a timeout / connection error) a random wait between half and
#   all of RETRY_BACKOFF_BASE × 2^(retry-1) seconds, that product capped at RETRY_BACKOFF_MAX:
#   1–2 s, 2–4 s, 4–8 s with the defaults.
RETRY_AFTER_MAX = 120.0
RETRY_BACKOFF_BASE = 2.0
RETRY_BACKOFF_MAX = 60.0

USER_AGENTS = list(desktop_user_agents())
DEFAULT_REQUEST_HEADERS = {
    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,application/json;q=0.8,"
    "*/*;q=0.7",
    "Accept-Language": "en-US,en;q=0.9",
}
DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.useragent.UserAgentMiddleware": None,
    "scrapers.middlewares.RotatingUserAgentMiddleware": 400,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "scrapers.middlewares.BackoffRetryMiddleware": 550,  # where Scrapy's RetryMiddleware sits
}
ITEM_PIPELINES = {
    "scrapers.pipelines.RateNormalizePipeline": 100,
    "scrapers.pipelines.RateStoragePipeline": 900,
}

TELNETCONSOLE_ENABLED = False
LOG_LEVEL = "INFO"
# Django's LOGGING already sends records to the console; a second root handler doubles them.
LOG_INSTALL_ROOT_HANDLER = False
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
