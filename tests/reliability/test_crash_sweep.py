"""The sweep that closes runs whose process died (rates.runs.sweep): a run whose worker process
is gone, or that outlived the scrape task's hard time limit, is closed as failed with a reason,
and its scope's lock is freed; a run whose process lives is left alone."""

import socket
import subprocess
from datetime import timedelta

from django.core.cache import cache
from django.utils import timezone

from rates.models import RunStatus, ScrapeRun
from rates.runs.scraping import scrape_lock_name
from rates.runs.sweep import runs_sweep, this_worker
from rates.tasks import sweep_runs


def _reaped_pid() -> int:
    process = subprocess.Popen(["true"])  # noqa: S607
    process.wait()
    return process.pid


def _running(worker: str, *, age: timedelta = timedelta(0), target: str = "primary") -> ScrapeRun:
    run = ScrapeRun.objects.create(scope="group", target=target, worker=worker)
    ScrapeRun.objects.filter(id=run.id).update(started_at=timezone.now() - age)
    return run


def test_a_run_whose_worker_process_is_gone_is_closed_as_failed_and_its_lock_freed(db):
    worker = f"{socket.gethostname()}:{_reaped_pid()}"
    run = _running(worker)
    lock = cache.lock(scrape_lock_name("group", "primary"), timeout=3600)
    assert lock.acquire(blocking=False)  # what the killed task left behind

    assert runs_sweep() == 1
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED
    assert run.finished_at is not None
    assert run.errors == [f"interrupted: its worker process {worker} is gone"]
    assert cache.lock(scrape_lock_name("group", "primary")).acquire(blocking=False)


def test_a_run_whose_worker_lives_is_left_running(db):
    run = _running(this_worker())
    assert runs_sweep() == 0
    run.refresh_from_db()
    assert run.status == RunStatus.RUNNING


def test_a_run_of_another_host_is_closed_only_past_the_time_limit(db, settings):
    settings.KOEL_SCRAPE_TIME_LIMIT = 600
    young = _running("elsewhere:1", age=timedelta(seconds=600), target="primary")
    old = _running("elsewhere:2", age=timedelta(seconds=661), target="secondary")

    assert sweep_runs() == 1  # the beat task
    young.refresh_from_db()
    old.refresh_from_db()
    assert young.status == RunStatus.RUNNING
    assert old.status == RunStatus.FAILED
    assert old.errors == ["interrupted: still running after the time limit (660 s)"]


def test_a_run_of_an_older_version_with_no_worker_recorded_is_closed_past_the_limit(db):
    run = _running("", age=timedelta(days=1))
    assert runs_sweep() == 1
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED
