"""python manage.py crawl <source> [--base USD …] [--target EUR …] [--report FILE]"""

import time
from pathlib import Path

from django.conf import settings as django_settings
from django.core.management.base import BaseCommand, CommandError
from scrapy.settings import Settings
from scrapy.spiderloader import SpiderLoader

from rates.models import Source
from scrapers.crawling import run_spider, scrapy_settings


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
        _configure(settings, row, overrides)
        arguments = _spider_arguments(row, base_url, base, target, spider_args)
        started = time.monotonic()
        outcome, stats = run_spider(settings, spider_cls, arguments)
        outcome = outcome.finished(stats, time.monotonic() - started)
        if report:
            report.write_text(outcome.to_json())
        if not outcome.ok:
            reason = f": {outcome.error}" if outcome.error else ""
            raise CommandError(f"{outcome.summary()}, {outcome.errors} error(s){reason}")
        self.stdout.write(self.style.SUCCESS(outcome.summary()))


def _configure(settings: Settings, row: Source, overrides: list[str]) -> None:
    """The source's politeness, then the --set overrides."""
    settings.set("DOWNLOAD_DELAY", row.politeness_delay, priority="cmdline")
    # AutoThrottle's first delay too: else every crawl waits its 1.2 s default before the
    # second request, whatever delay the admin set for the source (0 for a local replay).
    settings.set("AUTOTHROTTLE_START_DELAY", row.politeness_delay, priority="cmdline")
    settings.set("ROBOTSTXT_OBEY", row.obey_robots_txt, priority="cmdline")
    for assignment in overrides:
        name, sep, value = assignment.partition("=")
        if not sep or not name:
            raise CommandError(f"--set wants NAME=VALUE, got {assignment!r}")
        settings.set(name, value, priority="cmdline")


def _spider_arguments(row: Source, base_url, bases, targets, spider_args) -> dict[str, str]:
    arguments = {
        "base_url": base_url if base_url is not None else row.base_url,
        "bases": ",".join(bases),
        "targets": ",".join(targets),
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
            raise CommandError(f"{row.code} needs an API key: set {row.api_key_setting}")
        arguments["api_key"] = key
    return arguments
