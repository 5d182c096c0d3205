"""The scraping tasks' own duties: one run at a time per scope (a Redis lock), retries."""

import pytest
from celery.exceptions import Retry
from django.core.cache import cache

from rates.ingest.loading import currencies_load, sources_load
from rates.models import Currency, RunStatus, ScrapeRun, Source
from rates.runs.services import run_start
from scrapers.tasks import scrape_group

from .replay import ReplayServer


def test_a_group_already_running_is_skipped_and_recorded(sources):
    lock = cache.lock("koel:scrape:group:primary", timeout=60)
    assert lock.acquire(blocking=False)
    try:
        result = scrape_group.delay("primary").get()
    finally:
        lock.release()

    run = ScrapeRun.objects.get()
    assert result == {"run": run.id, "status": RunStatus.SKIPPED}
    assert (run.scope, run.target, run.trigger, run.errors) == (
        "group",
        "primary",
        "beat",
        ["another run holds the lock"],
    )


def test_a_run_that_stored_nothing_asks_for_a_retry_with_backoff(transactional_db, settings):
    currencies_load()
    sources_load()
    Currency.objects.exclude(code="EUR").update(active=False)
    Source.objects.exclude(code="open_er_api").update(enabled=False)
    with ReplayServer({}) as server:  # every page 404: the source fails, nothing is stored
        Source.objects.filter(code="open_er_api").update(base_url=server.url, politeness_delay=0)
        with pytest.raises(Retry) as retry:  # eager mode: raised, not re-queued
            scrape_group.delay("primary").get()

    assert retry.value.when == settings.KOEL_SCRAPE_RETRY_DELAY  # first retry: 1x the delay
    assert list(ScrapeRun.objects.values_list("status", flat=True)) == [RunStatus.FAILED]
    assert scrape_group.max_retries == settings.KOEL_SCRAPE_RETRIES


def test_a_run_left_running_by_a_killed_worker_is_closed_when_the_next_starts(sources):
    stale = ScrapeRun.objects.create(scope="group", target="primary", status=RunStatus.RUNNING)

    run_start(scope="group", target="primary", trigger="beat", bases_total=15)

    stale.refresh_from_db()
    assert stale.status == RunStatus.FAILED
    assert stale.finished_at is not None
    assert stale.errors == ["interrupted: the process running it stopped before it finished"]
