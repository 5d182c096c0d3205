"""Celery tasks: thin wrappers over alerts.evaluation and alerts.delivery."""

from celery import shared_task
from celery.utils.log import get_task_logger

from alerts.delivery import backoff, delivery_attempt
from alerts.evaluation import rules_evaluate

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
    last = self.request.retries >= self.max_retries
    delivered = delivery_attempt(delivery_id=delivery_id, last=last)
    if delivered or last:
        return delivered
    countdown = backoff(self.request.retries).total_seconds()
    raise self.retry(countdown=countdown)
