"""Celery tasks that scrape: a currency group, one base, one source. Thin: the work is in
scrapers.manager; these add the lock, the time limits and the retries."""

import uuid

from celery import shared_task
from celery.utils.log import get_task_logger
from django.conf import settings
from django.core.cache import cache
from redis.exceptions import LockError

from rates.models import RunStatus
from rates.runs.scraping import scrape_lock_name
from rates.runs.services import run_abandon, run_skip

from .manager import Scope, scrape

logger = get_task_logger(__name__)

# Generous: a group crawls every base from several sites, about 1.2 s per request per site.
SOFT_LIMIT = settings.KOEL_SCRAPE_TIME_LIMIT
LIMITS = {"soft_time_limit": SOFT_LIMIT, "time_limit": SOFT_LIMIT + 60}


@shared_task(bind=True, max_retries=settings.KOEL_SCRAPE_RETRIES, **LIMITS)
def scrape_group(self, group: str, trigger: str = "beat") -> dict:
    """Scrape every active currency of `group` ("primary" or "secondary") as a base."""
    return _locked_scrape(self, Scope.GROUP, group, trigger)


@shared_task(bind=True, max_retries=settings.KOEL_SCRAPE_RETRIES, **LIMITS)
def scrape_base(self, base: str, trigger: str = "manual") -> dict:
    return _locked_scrape(self, Scope.BASE, base.upper(), trigger)


@shared_task(bind=True, max_retries=settings.KOEL_SCRAPE_RETRIES, **LIMITS)
def scrape_source(self, source: str, trigger: str = "manual") -> dict:
    return _locked_scrape(self, Scope.SOURCE, source, trigger)


def _locked_scrape(task, scope: str, target: str, trigger: str) -> dict:
    """One run at a time per (scope, target); a failed run (nothing stored) is retried later
    with exponential backoff, a partial one is not (the next schedule fills the gaps)."""
    task_id = task.request.id or ""
    lock = cache.lock(scrape_lock_name(scope, target), timeout=SOFT_LIMIT + 120)
    if not _acquire(lock, task_id):
        reason = "another run holds the lock"
        run = run_skip(scope=scope, target=target, trigger=trigger, reason=reason, task_id=task_id)
        logger.info("%s %s already running; run %s skipped", scope, target, run.id)
        return {"run": run.id, "status": run.status}
    try:
        run = scrape(scope=scope, target=target, trigger=trigger, task_id=task_id)
    except Exception as error:
        # A run queued from the admin would otherwise wait as "queued" for ever.
        run_abandon(task_id=task_id, error=f"{type(error).__name__}: {error}")
        raise
    finally:
        try:
            lock.release()
        except LockError:  # expired: the run outlived its own time limit
            logger.warning("lock of %s %s had expired", scope, target)
    if run.status == RunStatus.FAILED and task.request.retries < task.max_retries:
        countdown = settings.KOEL_SCRAPE_RETRY_DELAY * 2**task.request.retries
        raise task.retry(countdown=countdown)
    return {"run": run.id, "status": run.status}


def _acquire(lock, task_id: str) -> bool:
    """Take the scope's lock under this task's id. A lock already held under the same id is
    this task's own, left by a worker that died mid-run (its host lost, SIGKILL): the broker
    delivered the task again only because it was never acknowledged, and only once the
    visibility timeout outlasted the task's hard time limit, so that run is over. Taking it over
    lets the retry run now instead of being skipped until the lock expires."""
    token = (task_id or uuid.uuid4().hex).encode()
    if lock.acquire(blocking=False, token=token):
        return True
    if not task_id or lock.redis.get(lock.name) != token:
        return False
    logger.warning("lock %s held by this task's earlier delivery; taking it over", lock.name)
    lock.local.token = token
    try:
        lock.reacquire()
    except LockError:  # it expired meanwhile: take it afresh
        return lock.acquire(blocking=False, token=token)
    return True
