"""Counters kept in Redis, so that every process (web workers, Celery workers, crawls) adds to
the same total and /metrics reads them at scrape time (rates/metrics.py)."""

import logging

from django.core.cache import cache
from django_redis import get_redis_connection

logger = logging.getLogger(__name__)


def counter_add(name: str, label: str, amount: int = 1) -> None:
    """Add to the counter `name`{label}; a Redis failure is logged, never raised: counting
    must not fail the write it counts."""
    try:
        get_redis_connection("default").hincrby(_key(name), label, amount)
    except Exception:
        logger.warning("counter %s not updated", name, exc_info=True)


def counter_read(name: str) -> dict[str, int]:
    """Each label's total of the counter `name`."""
    found = get_redis_connection("default").hgetall(_key(name))
    return {label.decode(): int(value) for label, value in found.items()}


def _key(name: str) -> str:
    return cache.make_key(f"counter:{name}")  # django-redis's prefix and version
