"""Celery tasks of the rates app: thin wrappers over services."""

from celery import shared_task
from celery.utils.log import get_task_logger

from rates.ingest.partitions import partitions_maintain
from rates.runs.health_checks import worker_heartbeat_record

logger = get_task_logger(__name__)


@shared_task(
    soft_time_limit=300, time_limit=360, autoretry_for=(Exception,), max_retries=3, retry_backoff=60
)
def maintain_partitions() -> dict:
    """Create upcoming monthly partitions and apply the retention (daily, see schedules)."""
    created, dropped = partitions_maintain()
    logger.info("partitions: %d created, %d dropped", len(created), len(dropped))
    return {"created": created, "dropped": dropped}


@shared_task(soft_time_limit=10, time_limit=20, ignore_result=True, expires=120)
def heartbeat() -> None:
    """Beat sends this every minute; the worker running it records the time (/health/)."""
    worker_heartbeat_record()
