"""Celery tasks of the rates app: thin wrappers over services."""

from celery import shared_task
from celery.utils.log import get_task_logger

from rates.ingest.partitions import partitions_maintain

logger = get_task_logger(__name__)


@shared_task(
    soft_time_limit=300, time_limit=360, autoretry_for=(Exception,), max_retries=3, retry_backoff=60
)
def maintain_partitions() -> dict:
    """Create upcoming monthly partitions and apply the retention (daily, see schedules)."""
    created, dropped = partitions_maintain()
    logger.info("partitions: %d created, %d dropped", len(created), len(dropped))
    return {"created": created, "dropped": dropped}
