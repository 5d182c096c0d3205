"""Celery task for data webhooks (imported by alerts.receivers_data at start-up, so workers
register it): a thin wrapper over alerts.subscriptions."""

from celery import shared_task

from alerts.sending import attempt_or_retry
from alerts.subscriptions import data_delivery_attempt

MAX_DATA_RETRIES = 5


@shared_task(bind=True, acks_late=True, max_retries=MAX_DATA_RETRIES)
def data_delivery_send(self, delivery_id: int) -> bool:
    """Send one ingest's batch; retried with exponential backoff, every attempt recorded."""
    return attempt_or_retry(self, data_delivery_attempt, delivery_id)
