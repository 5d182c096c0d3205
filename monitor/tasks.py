"""Celery tasks of the live feed. Thin: the work is in monitor.ticks and rates.ingest.folding;
these add the lock (a tick overlapping the previous one is skipped, not queued) and limits."""

from datetime import timedelta

from celery import shared_task
from celery.utils.log import get_task_logger
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from redis.exceptions import LockError

from rates.ingest.acceptance import DERIVED_SOURCE
from rates.ingest.folding import ticks_fold

from .ticks import live_tick_run

logger = get_task_logger(__name__)

TICK_LOCK = "koel:live:tick"
# Worst case: every pair times out at every source. The lock outlives the hard limit.
TICK_SOFT_LIMIT = 120
TICK_LIMITS = {"soft_time_limit": TICK_SOFT_LIMIT, "time_limit": TICK_SOFT_LIMIT + 30}
# How far back each daily run looks for ticks to fold: it catches up missed runs of a month.
FOLD_WINDOW = timedelta(days=30)


@shared_task(ignore_result=True, **TICK_LIMITS)
def live_tick() -> dict:
    """Refresh the live pairs, unless the previous tick still runs."""
    lock = cache.lock(TICK_LOCK, timeout=TICK_SOFT_LIMIT + 60)
    if not lock.acquire(blocking=False):
        logger.info("live tick skipped: the previous tick still runs")
        return {"skipped": True}
    try:
        feed = live_tick_run()
    finally:
        try:
            lock.release()
        except LockError:  # expired: the tick outlived its own time limit
            logger.warning("the live tick's lock had expired")
    logger.info("live tick: %s, %s rows stored", feed.state, feed.stored)
    return {"skipped": False, "state": feed.state, "stored": feed.stored}


@shared_task(ignore_result=True, soft_time_limit=1800, time_limit=1900)
def live_retention() -> dict:
    """Fold the live sources' ticks older than KOEL_LIVE_RETENTION_DAYS into hourly bars."""
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    before = now - timedelta(days=settings.KOEL_LIVE_RETENTION_DAYS)
    sources = [*settings.KOEL_LIVE_SOURCES, DERIVED_SOURCE]
    result = ticks_fold(before=before, since=before - FOLD_WINDOW, sources=sources)
    logger.info("live retention: %s hours folded, %s ticks removed", result.hours, result.removed)
    return {"hours": result.hours, "removed": result.removed}
