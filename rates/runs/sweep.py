"""Closing runs nobody is running any more.

A run is marked running by the process that runs it and closed by the same process (run_start,
run_finish). When that process dies without closing it (SIGKILL, the OOM killer, a lost host), the
row would stay "running" for ever, and the scope's lock, which the dead task held for up to its time
limit, would make every retry of that scope a "skipped" run until it expired. The sweep closes
such runs as failed, with a reason, and frees the scope's lock. It runs when a worker starts
(koel.celery) and every few minutes from beat (rates.tasks.sweep_runs).
"""

import logging
import os
import socket
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from rates.models import RunStatus, ScrapeRun
from rates.runs.scraping import scrape_lock_name

logger = logging.getLogger("koel.runs")


def this_worker() -> str:
    """host:pid of this process, as a run records who runs it."""
    return f"{socket.gethostname()}:{os.getpid()}"


def runs_sweep() -> int:
    """Close as failed the running runs whose process is gone (known on this host) or that
    outlived the scrape task's hard time limit (any host); returns how many were closed."""
    limit = timedelta(seconds=settings.KOEL_SCRAPE_TIME_LIMIT + 60)  # the task's time_limit
    closed = 0
    for run in ScrapeRun.objects.filter(status=RunStatus.RUNNING):
        reason = _why_dead(run, limit)
        if reason and _close(run, reason):
            closed += 1
    return closed


def _why_dead(run: ScrapeRun, limit: timedelta) -> str:
    host, _, pid = run.worker.rpartition(":")
    if host == socket.gethostname() and pid.isdigit() and not _alive(int(pid)):
        return f"interrupted: its worker process {run.worker} is gone"
    if run.started_at < timezone.now() - limit:
        return f"interrupted: still running after the time limit ({limit.total_seconds():.0f} s)"
    return ""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: it exists
    return True


def _close(run: ScrapeRun, reason: str) -> bool:
    """Close `run` unless its process closed it meanwhile; then its lock is the dead task's
    (one run per scope holds it), so it is freed for the next run of the scope."""
    errors = [*run.errors, reason]
    ended = {"status": RunStatus.FAILED, "finished_at": timezone.now(), "errors": errors}
    if not ScrapeRun.objects.filter(id=run.id, status=RunStatus.RUNNING).update(**ended):
        return False
    cache.delete(scrape_lock_name(run.scope, run.target))
    logger.error(
        "scrape run %s closed as failed: %s",
        run.id,
        reason,
        extra={"run": run.id, "scope": run.scope, "target": run.target, "reason": reason},
    )
    return True
