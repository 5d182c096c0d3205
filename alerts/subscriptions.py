"""Data webhooks: after each committed ingest, one batch per active subscription whose
currencies the ingest touched, holding only the pairs that involve them. Sent and retried by
alerts.subscription_tasks, signed like alert webhooks (alerts.channels.signature)."""

import json
import time

from alerts.channels import post_json, signature
from alerts.models import DataDelivery, DataSubscription, Outcome
from alerts.sending import attempt_send, queue_after_commit
from rates.types import RateRow


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
    queue_after_commit(task_name="alerts.subscription_tasks.data_delivery_send", ids=ids)
    return deliveries


def data_webhook_send(delivery: DataDelivery) -> int:
    body = json.dumps({"delivery_id": delivery.id, **delivery.payload}, separators=(",", ":"))
    timestamp = str(int(time.time()))
    headers = {
        "X-Koel-Timestamp": timestamp,
        "X-Koel-Signature": signature(delivery.subscription.secret, timestamp, body.encode()),
    }
    return post_json(delivery.subscription.url, body.encode(), headers)


def data_delivery_attempt(*, delivery_id: int, last: bool) -> str:
    """Try once and record the attempt; returns the outcome, pending while retries remain
    (delivered when nothing is left to send)."""
    delivery = DataDelivery.objects.select_related("subscription").filter(id=delivery_id).first()
    if delivery is None or delivery.outcome == Outcome.DELIVERED:
        return Outcome.DELIVERED
    return attempt_send(delivery, lambda: data_webhook_send(delivery), last=last)
