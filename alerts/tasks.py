"""Celery tasks: thin wrappers over alerts.evaluation and alerts.delivery (its retries:
alerts.sending)."""

from celery import shared_task
from celery.utils.log import get_task_logger

from alerts.delivery import delivery_attempt
from alerts.evaluation import rules_evaluate
from alerts.sending import attempt_or_retry

logger = get_task_logger(__name__)

MAX_DELIVERY_RETRIES = 5


@shared_task(acks_late=True)
def alerts_evaluate(codes: list[str]) -> int:
    """Evaluate the rules on pairs naming these currencies; returns the firings stored."""
    firings = rules_evaluate(codes=codes)
    logger.info("alerts: %s rules fired for %s currencies", len(firings), len(codes))
    return len(firings)


@shared_task(bind=True, acks_late=True, max_retries=MAX_DELIVERY_RETRIES)
def delivery_send(self, delivery_id: int) -> bool:
    """Send one delivery; retried with exponential backoff, every attempt recorded."""
    return attempt_or_retry(self, delivery_attempt, delivery_id)
