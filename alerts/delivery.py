"""Deliveries: one row per firing and channel, sent by its own Celery task (alerts.tasks), so a
failing channel never holds up another, nor the ingest that caused the firing."""

from collections.abc import Mapping

from alerts.channels import SENDERS
from alerts.models import AlertFiring, Delivery, Outcome
from alerts.sending import attempt_send, queue_after_commit


def deliveries_create(
    *, firings: list[AlertFiring], channels: Mapping[int, list[str]] | None = None
) -> list[Delivery]:
    """A pending delivery per channel of each firing (one insert), queued once this commits.
    `channels`: {rule id: its channels}, when known (else each firing's rule is asked)."""
    deliveries = Delivery.objects.bulk_create(
        Delivery(firing=firing, channel=channel)
        for firing in firings
        for channel in (
            channels[firing.rule_id] if channels is not None else firing.rule.channels()
        )
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
