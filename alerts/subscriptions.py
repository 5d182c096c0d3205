"""Data webhooks: after each committed ingest, one batch per active subscription whose
currencies the ingest touched, holding only the pairs that involve them. Sent and retried by
alerts.subscription_tasks, signed like alert webhooks (alerts.channels.signature)."""

import json
import logging
import time

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from alerts.channels import DeliveryError, post_json, signature
from alerts.models import DataDelivery, DataSubscription, Outcome
from rates.types import RateRow

logger = logging.getLogger(__name__)


def batch_payload(*, source: str, rows: list[RateRow]) -> dict:
    return {
        "event": "rates.landed",
        "source": source,
        "rates": [
            {
                "base": row.base,
                "target": row.target,
                "rate": str(row.rate),
                "observed_at": row.observed_at.isoformat(),
            }
            for row in sorted(rows, key=lambda row: (row.base, row.target))
        ],
    }


def data_deliveries_create(
    *, source: str, changes: dict[tuple[str, str], RateRow]
) -> list[DataDelivery]:
    """One pending delivery per active subscription the ingest concerns (one query to find
    them, one insert), queued once this commits."""
    codes = sorted({code for pair in changes for code in pair})
    subscriptions = DataSubscription.objects.filter(active=True, currencies__overlap=codes)
    deliveries = []
    for subscription in subscriptions:
        wanted = set(subscription.currencies)
        rows = [row for pair, row in changes.items() if wanted.intersection(pair)]
        payload = batch_payload(source=source, rows=rows)
        deliveries.append(DataDelivery(subscription=subscription, payload=payload))
    DataDelivery.objects.bulk_create(deliveries)
    ids = [delivery.id for delivery in deliveries]
    if ids:
        transaction.on_commit(lambda: _queue(ids), robust=True)
    return deliveries


def _queue(ids: list[int]) -> None:
    from alerts.subscription_tasks import data_delivery_send  # that module imports this one

    for delivery_id in ids:
        try:
            data_delivery_send.delay(delivery_id)
        except Exception:
            logger.exception("alerts: could not queue data delivery %s", delivery_id)


def data_webhook_send(delivery: DataDelivery) -> None:
    body = json.dumps({"delivery_id": delivery.id, **delivery.payload}, separators=(",", ":"))
    timestamp = str(int(time.time()))
    headers = {
        "X-Koel-Timestamp": timestamp,
        "X-Koel-Signature": signature(delivery.subscription.secret, timestamp, body.encode()),
    }
    post_json(delivery.subscription.url, body.encode(), headers)


def data_delivery_attempt(*, delivery_id: int, last: bool) -> bool:
    """Try once and record the attempt; True when delivered (or nothing is left to send)."""
    delivery = DataDelivery.objects.select_related("subscription").filter(id=delivery_id).first()
    if delivery is None or delivery.outcome == Outcome.DELIVERED:
        return True
    error = ""
    try:
        data_webhook_send(delivery)
    except DeliveryError as exc:
        error = str(exc)
    outcome = Outcome.DELIVERED if not error else Outcome.FAILED if last else Outcome.PENDING
    DataDelivery.objects.filter(id=delivery_id).update(
        attempts=F("attempts") + 1,
        outcome=outcome,
        last_error=error,
        last_attempt_at=timezone.now(),
    )
    return not error
