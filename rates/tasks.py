"""Celery tasks of the rates app: thin wrappers over services."""

from celery import shared_task
from celery.signals import worker_ready
from celery.utils.log import get_task_logger
from django.db import DatabaseError

from rates.ingest.partitions import partitions_maintain
from rates.runs.health_checks import worker_heartbeat_record
from rates.runs.sweep import runs_sweep

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


@shared_task(soft_time_limit=60, time_limit=90, ignore_result=True, expires=600)
def sweep_runs() -> int:
    """Close runs whose process is gone or that outlived their time limit (rates.runs.sweep)."""
    return runs_sweep()


@worker_ready.connect
def sweep_runs_on_start(**_) -> None:
    """A worker starting may follow one that was killed mid-run on this host: close its runs
    now rather than at the next sweep. A database not up yet must not stop the worker."""
    try:
        closed = runs_sweep()
    except DatabaseError:
        logger.exception("could not sweep interrupted runs at start")
        return
    logger.info("start: %d interrupted run(s) closed", closed)
