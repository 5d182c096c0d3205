"""Celery task for data webhooks (imported by alerts.receivers_data at start-up, so workers
register it): a thin wrapper over alerts.subscriptions."""

from celery import shared_task

from alerts.delivery import backoff
from alerts.subscriptions import data_delivery_attempt

MAX_DATA_RETRIES = 5


@shared_task(bind=True, acks_late=True, max_retries=MAX_DATA_RETRIES)
def data_delivery_send(self, delivery_id: int) -> bool:
    """Send one ingest's batch; retried with exponential backoff, every attempt recorded."""
    last = self.request.retries >= self.max_retries
    delivered = data_delivery_attempt(delivery_id=delivery_id, last=last)
    if delivered or last:
        return delivered
    raise self.retry(countdown=backoff(self.request.retries).total_seconds())
