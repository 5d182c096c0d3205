"""A real Celery worker SIGKILLed mid-crawl: its crawl process dies with it (no unwatched crawl
writes later), and the next worker to start closes the interrupted run as failed and frees the
scope's lock (which the dead task would otherwise hold for its whole time limit)."""

import os
import signal
import subprocess
import time
import uuid

import psutil
import pytest
from celery import current_app
from django.core.cache import cache

from rates.models import ExchangeRate, RunStatus, ScrapeRun, Source
from rates.runs.scraping import TASKS, Scope, scrape_lock_name

from ..scrapers.crawling import child_env, load_reference_data
from ..scrapers.replay import ReplayServer, Reply
from ..scrapers.test_beat import start, stop
from ..scrapers.test_manager import open_er_api

RATES = {"USD": "1.0842", "GBP": "0.8611"}


def _wait(predicate, timeout: float = 90, step: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = predicate()
        if found:
            return found
        time.sleep(step)
    raise TimeoutError(getattr(predicate, "__doc__", None) or "condition not met")


def _crawl_child(worker: subprocess.Popen) -> psutil.Process:
    def crawling():
        """the worker never started its crawl process"""
        children = psutil.Process(worker.pid).children(recursive=True)
        return next((c for c in children if "crawl" in " ".join(c.cmdline())), None)

    return _wait(crawling)


@pytest.mark.long  # a real worker and crawl killed
def test_a_worker_killed_mid_crawl_leaves_a_failed_run_and_a_free_scope(transactional_db):
    load_reference_data("open_er_api")
    Source.objects.exclude(code="open_er_api").update(enabled=False)
    queue = f"koel-crash-{uuid.uuid4().hex[:8]}"
    worker_args = ("worker", "-l", "info", "--pool", "solo", "-Q", queue, "--without-mingle")
    # The first answer hangs (the crawl is mid-request when the worker dies); later ones answer.
    page = open_er_api("EUR", RATES)
    routes = {"/v6/latest/EUR": [Reply(*page, delay=120), page]}
    with ReplayServer(routes) as server:
        Source.objects.filter(code="open_er_api").update(base_url=server.url)
        send = {"args": ["open_er_api", "manual"], "queue": queue}
        current_app.send_task(TASKS[Scope.SOURCE], **send)
        worker = start(*worker_args, env=child_env())
        try:
            crawl = _crawl_child(worker)
            _wait(lambda: server.hits)  # the crawl's request is in flight
            os.kill(worker.pid, signal.SIGKILL)
            worker.communicate(timeout=30)
            crawl.wait(timeout=30)  # died with its worker: no crawl writes after this
            run = ScrapeRun.objects.get()
            assert run.status == RunStatus.RUNNING  # nobody closed it yet

            worker = start(*worker_args, env=child_env())
            _wait(lambda: ScrapeRun.objects.filter(status=RunStatus.FAILED).exists())
            run.refresh_from_db()
            assert run.errors[-1].startswith("interrupted: its worker process")
        finally:
            log = stop(worker)
    # The scope's lock is free: the next scrape of it runs rather than being skipped.
    assert cache.lock(scrape_lock_name("source", "open_er_api")).acquire(blocking=False), log
    assert not ExchangeRate.objects.exists()  # the killed crawl wrote nothing, then or later
