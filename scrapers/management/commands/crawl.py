"""python manage.py crawl <source> [--base USD …] [--target EUR …]"""

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

    def handle(self, *args, source: str, base: list, target: list, base_url, **options) -> None:
        settings = scrapy_settings()
        try:
            row = Source.objects.get(code=source)
            spider_cls = SpiderLoader.from_settings(settings).load(source)
        except (Source.DoesNotExist, KeyError) as exc:
            raise CommandError(f"Unknown source {source!r}") from exc
        settings.set("DOWNLOAD_DELAY", row.politeness_delay, priority="cmdline")
        stats = run_spider(
            settings,
            spider_cls,
            {
                "base_url": base_url if base_url is not None else row.base_url,
                "bases": ",".join(base),
                "targets": ",".join(target),
            },
        )
        self._report(source, stats)

    def _report(self, source: str, stats: dict) -> None:
        written = stats.get("koel/rates_written", 0)
        received = stats.get("koel/rates_received", 0)
        errors = stats.get("log_count/ERROR", 0)
        reason = stats.get("finish_reason", "?")
        summary = f"{source}: {received} rates read, {written} new or changed, finish: {reason}"
        if errors or not received:
            raise CommandError(f"{summary}, {errors} error(s)")
        self.stdout.write(self.style.SUCCESS(summary))


def scrapy_settings() -> Settings:
    settings = Settings()
    settings.setmodule("scrapers.scrapy_settings", priority="project")
    return settings


def run_spider(settings: Settings, spider_cls, arguments: dict) -> dict:
    # Django's LOGGING already sends records to the console; a second root handler doubles them.
    process = CrawlerProcess(settings, install_root_handler=False)
    crawler = process.create_crawler(spider_cls)
    process.crawl(crawler, **arguments)
    process.start()
    return crawler.stats.get_stats()
