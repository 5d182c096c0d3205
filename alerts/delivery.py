"""Deliveries: one row per firing and channel, sent by its own Celery task (alerts.tasks), so a
failing channel never holds up another, nor the ingest that caused the firing."""

from alerts.channels import SENDERS
from alerts.models import AlertFiring, Delivery, Outcome
from alerts.sending import attempt_send, queue_after_commit


def deliveries_create(*, firings: list[AlertFiring]) -> list[Delivery]:
    """A pending delivery per channel of each firing (one insert), queued once this commits."""
    deliveries = Delivery.objects.bulk_create(
        Delivery(firing=firing, channel=channel)
        for firing in firings
        for channel in firing.rule.channels()
    )
    ids = [delivery.id for delivery in deliveries]
    queue_after_commit(task_name="alerts.tasks.delivery_send", ids=ids)
    return deliveries


def delivery_attempt(*, delivery_id: int, last: bool) -> str:
    """Try once and record the attempt; returns the delivery's outcome, pending while retries
    remain. A delivery already delivered, or gone with its rule, counts as delivered."""
    delivery = Delivery.objects.select_related("firing__rule__owner").filter(id=delivery_id).first()
    if delivery is None or delivery.outcome == Outcome.DELIVERED:
        return Outcome.DELIVERED
    return attempt_send(delivery, lambda: SENDERS[delivery.channel](delivery.firing), last=last)
