"""Scrape runs: created, updated as the manager goes, and finished (services; the manager in
scrapers/ writes through these)."""

import logging
import uuid

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from rates.models import RunStatus, ScrapeRun
from rates.runs.scraping import scrape_enqueue
from rates.runs.sweep import this_worker

logger = logging.getLogger("koel.runs")


def run_queue(*, scope: str, target: str, trigger: str) -> ScrapeRun:
    """Record a run as queued and send its task once the row is committed (so the worker finds
    it): the caller can show the run at once; the task adopts the row (run_start, run_skip)."""
    run = ScrapeRun.objects.create(
        scope=scope, target=target, trigger=trigger, status=RunStatus.QUEUED, task_id=_task_id()
    )
    transaction.on_commit(
        lambda: scrape_enqueue(scope=scope, target=target, trigger=trigger, task_id=run.task_id)
    )
    logger.info(
        "scrape run %s queued: %s %s",
        run.id,
        scope,
        target,
        extra={"run": run.id, "scope": scope, "target": target, "trigger": trigger},
    )
    return run


def _task_id() -> str:
    return str(uuid.uuid4())


def _adopt(task_id: str, **values) -> ScrapeRun | None:
    """The queued run waiting under `task_id`, updated with `values`; None when there is none
    (beat and the API queue tasks with no row; a retried task's row is no longer queued)."""
    if not task_id:
        return None
    queued = ScrapeRun.objects.filter(task_id=task_id, status=RunStatus.QUEUED)
    if not queued.update(**values):
        return None
    return ScrapeRun.objects.filter(task_id=task_id).order_by("-id").first()


def run_start(*, scope: str, target: str, trigger: str, bases_total: int, task_id: str = ""):
    """Open a run (or start the queued one of this task). Callers hold the scope's lock, so a
    run of the same scope still marked running was interrupted (a worker killed mid-scrape): it
    is closed as failed first."""
    ScrapeRun.objects.filter(scope=scope, target=target, status=RunStatus.RUNNING).update(
        status=RunStatus.FAILED,
        finished_at=timezone.now(),
        errors=["interrupted: the process running it stopped before it finished"],
    )
    started = {"started_at": timezone.now(), "bases_total": bases_total, "worker": this_worker()}
    run = _adopt(task_id, status=RunStatus.RUNNING, **started) or ScrapeRun.objects.create(
        scope=scope, target=target, trigger=trigger, task_id=task_id, **started
    )
    logger.info(
        "scrape run %s started: %s %s, %s bases",
        run.id,
        scope,
        target,
        bases_total,
        extra={"run": run.id, "scope": scope, "target": target, "bases": bases_total},
    )
    return run


def run_skip(*, scope: str, target: str, trigger: str, reason: str, task_id: str = "") -> ScrapeRun:
    """A run that did not happen (another one of the same scope holds the lock)."""
    now = timezone.now()
    ended = {"status": RunStatus.SKIPPED, "finished_at": now, "errors": [reason]}
    return _adopt(task_id, **ended) or ScrapeRun.objects.create(
        scope=scope, target=target, trigger=trigger, task_id=task_id, **ended
    )


def run_abandon(*, task_id: str, error: str) -> bool:
    """Close the queued run of a task that failed before it could start one (e.g. nothing left
    to scrape); False when no run was waiting under `task_id`."""
    ended = {"status": RunStatus.FAILED, "finished_at": timezone.now(), "errors": [error]}
    return _adopt(task_id, **ended) is not None


def run_attempt(run: ScrapeRun, attempt: dict, *, stored: int, quarantined: int) -> None:
    """Append one source attempt and add its counts, in the database at once (live progress)."""
    run.attempts.append(attempt)
    ScrapeRun.objects.filter(id=run.id).update(
        attempts=run.attempts,
        rates_stored=F("rates_stored") + stored,
        rates_quarantined=F("rates_quarantined") + quarantined,
    )
    logger.info(
        "scrape run %s: %s %s (%s written) %s",
        run.id,
        attempt["source"],
        attempt["outcome"],
        stored,
        attempt.get("error") or attempt.get("reason") or "",
        extra={"run": run.id, **attempt},
    )


def run_progress(run: ScrapeRun, *, bases_done: int) -> None:
    ScrapeRun.objects.filter(id=run.id).update(bases_done=bases_done)


def run_finish(
    run: ScrapeRun, *, any_read: bool, derived: int, errors: list[str], derived_held: int = 0
) -> ScrapeRun:
    """Close the run: failed when no source gave a rate (an unchanged re-scrape writes nothing
    new and is still a success), partial when pairs are still missing. `derived_held` counts
    derived rates the quarantine held; they add to the run's quarantined ones."""
    run.refresh_from_db()
    run.rates_derived = derived
    run.rates_quarantined += derived_held
    run.errors = errors
    run.bases_done = run.bases_total
    run.finished_at = timezone.now()
    if not any_read and derived == 0:
        run.status = RunStatus.FAILED
    elif errors:
        run.status = RunStatus.PARTIAL
    else:
        run.status = RunStatus.SUCCEEDED
    run.save()
    # A failed run is an error operators hear of (rates/slack.py posts ERROR records).
    log = logger.error if run.status == RunStatus.FAILED else logger.info
    log(
        "scrape run %s %s: %s stored, %s derived, %s quarantined",
        run.id,
        run.status,
        run.rates_stored,
        derived,
        run.rates_quarantined,
        extra={
            "run": run.id,
            "status": run.status,
            "stored": run.rates_stored,
            "derived": derived,
            "quarantined": run.rates_quarantined,
            "seconds": run.duration,
        },
    )
    return run
