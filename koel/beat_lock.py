"""One beat across hosts: `celery beat` holds a Redis lock while it schedules.

Two beats would send every periodic task twice. Each beat, before its scheduler starts
(celery's beat_init signal), waits for the lock `beat` in Koel's Redis, then renews it every
third of KOEL_BEAT_LOCK_SECONDS from a daemon thread. A second beat on another host is a hot
standby: it blocks until the holder dies (SIGKILL, host lost) and its lock expires, then takes
over from the schedule's state in the database (django-celery-beat). A holder that cannot renew
(Redis lost the key, or another beat took it after a long pause) exits at once rather than run
beside the new holder.
"""

import logging
import os
import threading

from celery.signals import beat_init

logger = logging.getLogger(__name__)
KEY = "beat"


@beat_init.connect
def hold_beat_lock(**_) -> None:
    from django.conf import settings
    from django.core.cache import cache

    seconds = settings.KOEL_BEAT_LOCK_SECONDS
    lock = cache.lock(KEY, timeout=seconds, thread_local=False)  # renewed from another thread
    while not lock.acquire(blocking=True, blocking_timeout=seconds):
        logger.info("beat: another beat holds the lock; waiting to take over")
    logger.info("beat: holding the lock (renewed every %s s)", seconds // 3 or 1)
    threading.Thread(target=_renew, args=(lock, seconds), name="beat-lock", daemon=True).start()


def _renew(lock, seconds: int) -> None:
    stop = threading.Event()
    while not stop.wait(max(seconds / 3, 1)):
        try:
            lock.reacquire()
        except Exception:
            logger.exception("beat: lost the lock; exiting so that only one beat runs")
            os._exit(3)
