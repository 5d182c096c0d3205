"""python manage.py crawl <source> [--base USD …] [--target EUR …] [--report FILE]"""

import json
import logging
import time
from pathlib import Path

from django.conf import settings as django_settings
from django.core.management.base import BaseCommand, CommandError
from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings
from scrapy.spiderloader import SpiderLoader

from rates.models import Source


class Command(BaseCommand):
    help = (
        "Run one source's spider in this process and store what it reads. Exits non-zero when "
        "the crawl logged errors or stored nothing. (Twisted's reactor cannot restart, so each "
        "crawl needs a fresh process: Celery tasks run this command as a subprocess.)"
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("source", help="Source code, e.g. ecb")
        parser.add_argument("--base", action="append", default=[], help="Base currency (repeat)")
        parser.add_argument("--target", action="append", default=[], help="Target to keep (repeat)")
        parser.add_argument("--base-url", default=None, help="Override the source's base URL")
        parser.add_argument(
            "--report", type=Path, help="Write the outcome as JSON to this file (for the manager)"
        )
        parser.add_argument(
            "--arg",
            dest="spider_args",
            action="append",
            default=[],
            metavar="NAME=VALUE",
            help="Pass a spider argument (repeat), e.g. --arg date=2024-01-05 for x_rates",
        )
        parser.add_argument(
            "--set",
            dest="overrides",
            action="append",
            default=[],
            metavar="NAME=VALUE",
            help="Override a Scrapy setting for this crawl (repeat), e.g. DOWNLOAD_TIMEOUT=5",
        )

    def handle(
        self, *args, source, base, target, base_url, report, overrides, spider_args, **options
    ):
        settings = scrapy_settings()
        try:
            row = Source.objects.get(code=source)
            spider_cls = SpiderLoader.from_settings(settings).load(source)
        except (Source.DoesNotExist, KeyError) as exc:
            raise CommandError(f"Unknown source {source!r}") from exc
        settings.set("DOWNLOAD_DELAY", row.politeness_delay, priority="cmdline")
        settings.set("ROBOTSTXT_OBEY", row.obey_robots_txt, priority="cmdline")
        for assignment in overrides:
            name, sep, value = assignment.partition("=")
            if not sep or not name:
                raise CommandError(f"--set wants NAME=VALUE, got {assignment!r}")
            settings.set(name, value, priority="cmdline")
        arguments = {
            "base_url": base_url if base_url is not None else row.base_url,
            "bases": ",".join(base),
            "targets": ",".join(target),
        }
        for assignment in spider_args:
            name, sep, value = assignment.partition("=")
            if not sep or not name or name in arguments:
                raise CommandError(
                    f"--arg wants NAME=VALUE (not base_url/bases/targets), got {assignment!r}"
                )
            arguments[name] = value
        if row.api_key_setting:
            key = getattr(django_settings, row.api_key_setting, "")
            if not key:
                raise CommandError(f"{source} needs an API key: set {row.api_key_setting}")
            arguments["api_key"] = key
        started = time.monotonic()
        stats = run_spider(settings, spider_cls, arguments)
        outcome = crawl_outcome(source, stats, time.monotonic() - started)
        if report:
            report.write_text(json.dumps(outcome))
        self._report(outcome)

    def _report(self, outcome: dict) -> None:
        summary = (
            f"{outcome['source']}: {outcome['received']} rates read, {outcome['written']} new or "
            f"changed, {outcome['quarantined']} quarantined, finish: {outcome['finish_reason']}"
        )
        if not outcome["ok"]:
            raise CommandError(f"{summary}, {outcome['errors']} error(s)")
        self.stdout.write(self.style.SUCCESS(summary))


def crawl_outcome(source: str, stats: dict, seconds: float) -> dict:
    """What the manager needs from a crawl: per-base targets stored, counts, errors."""
    received = stats.get("koel/rates_received", 0)
    errors = stats.get("log_count/ERROR", 0)
    return {
        "source": source,
        "ok": bool(received) and not errors,
        "received": received,
        "written": stats.get("koel/rates_written", 0),
        "quarantined": stats.get("koel/rates_quarantined", 0),
        "bases": stats.get("koel/targets_by_base", {}),
        "errors": errors,
        "error": stats.get("koel/error", ""),
        "finish_reason": stats.get("finish_reason", "?"),
        "requests": stats.get("downloader/request_count", 0),
        "seconds": round(seconds, 3),
    }


def scrapy_settings() -> Settings:
    settings = Settings()
    settings.setmodule("scrapers.scrapy_settings", priority="project")
    return settings


def run_spider(settings: Settings, spider_cls, arguments: dict) -> dict:
    process = CrawlerProcess(settings)
    # Without its own root handler Scrapy leaves its logger at DEBUG, so Django's console
    # handler would print one record per scraped rate; LOG_LEVEL applies to it here.
    logging.getLogger("scrapy").setLevel(settings.get("LOG_LEVEL"))
    crawler = process.create_crawler(spider_cls)
    process.crawl(crawler, **arguments)
    process.start()
    return crawler.stats.get_stats()
