"""A beat-scheduled scrape, end to end with real processes: celery beat (django-celery-beat's
database scheduler) sends the task through the Redis broker, a celery worker runs the manager,
the manager crawls a (local) site in a fresh process, the rates land in the partitioned table,
and the cached reads of the touched base are invalidated."""

import json
import subprocess
import sys
import time
import uuid
from decimal import Decimal

import pytest
from django.conf import settings
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from rates.cache import versions_of
from rates.ingest.loading import currencies_load, sources_load
from rates.models import Currency, ExchangeRate, RunStatus, ScrapeRun, Source

from .crawling import child_env
from .replay import ReplayServer
from .test_manager import open_er_api


def start(*args: str, env: dict) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "koel", *args],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def stop(process: subprocess.Popen) -> str:
    process.terminate()
    try:
        output, _ = process.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
    return output


@pytest.mark.long  # a whole-stack run of 10 s or more; `make reliability` runs it
def test_beat_schedules_a_group_scrape_that_a_worker_runs_end_to_end(transactional_db):
    currencies_load()
    sources_load()
    Currency.objects.exclude(code__in=["EUR", "USD"]).update(active=False)
    Source.objects.exclude(code__in=["open_er_api", "koel"]).update(enabled=False)
    queue = f"koel-test-{uuid.uuid4().hex[:8]}"  # nobody else's worker takes our task
    every_second, _ = IntervalSchedule.objects.get_or_create(every=1, period="seconds")
    PeriodicTask.objects.create(
        name="test: scrape primary",
        task="scrapers.tasks.scrape_group",
        interval=every_second,
        args=json.dumps(["primary"]),
        queue=queue,
        one_off=True,
    )
    version_before = versions_of(["EUR"])
    routes = {
        "/v6/latest/EUR": open_er_api("EUR", {"USD": "1.0842"}),
        "/v6/latest/USD": open_er_api("USD", {"EUR": "0.9223"}),
    }
    env = child_env()
    with ReplayServer(routes) as server:
        Source.objects.filter(code="open_er_api").update(base_url=server.url, politeness_delay=0)
        worker = start(
            "worker", "-l", "info", "--pool", "solo", "-Q", queue, "--without-mingle", env=env
        )
        beat = start("beat", "--pidfile=", env=env)
        try:
            run = _wait_for_finished_run(timeout=90)
        finally:
            beat_log, worker_log = stop(beat), stop(worker)

    assert run is not None, (
        f"no finished run\nbeat:\n{beat_log[-3000:]}\nworker:\n{worker_log[-3000:]}"
    )
    assert (run.scope, run.target, run.trigger, run.status) == (
        "group",
        "primary",
        "beat",
        RunStatus.SUCCEEDED,
    )
    stored = {(r.base_id, r.target_id): r.rate for r in ExchangeRate.objects.all()}
    assert stored == {("EUR", "USD"): Decimal("1.0842"), ("USD", "EUR"): Decimal("0.9223")}
    assert versions_of(["EUR"]) != version_before  # cached reads of EUR are invalidated
    assert "scrapers.tasks.scrape_group" in worker_log


def _wait_for_finished_run(timeout: float) -> ScrapeRun | None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = ScrapeRun.objects.exclude(status=RunStatus.RUNNING).first()
        if run is not None:
            return run
        time.sleep(0.5)
    return None
