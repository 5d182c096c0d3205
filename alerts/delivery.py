"""Deliveries: one row per firing and channel, sent by its own Celery task (alerts.tasks), so a
failing channel never holds up another, nor the ingest that caused the firing."""

import logging
from collections.abc import Mapping
from datetime import timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from alerts.channels import SENDERS, DeliveryError
from alerts.models import AlertFiring, Delivery, Outcome

logger = logging.getLogger(__name__)


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
    if ids:
        transaction.on_commit(lambda: _queue(ids), robust=True)
    return deliveries


def _queue(ids: list[int]) -> None:
    from alerts.tasks import delivery_send  # the tasks module imports this one

    for delivery_id in ids:
        # One task per delivery: a broker hiccup on one must not keep the others unsent.
        try:
            delivery_send.delay(delivery_id)
        except Exception:
            logger.exception("alerts: could not queue delivery %s", delivery_id)


def delivery_attempt(*, delivery_id: int, last: bool) -> bool:
    """Try once; record the attempt. True when delivered (or already delivered); on a failure
    the outcome stays pending unless this was the `last` attempt."""
    delivery = Delivery.objects.select_related("firing__rule__owner").filter(id=delivery_id).first()
    if delivery is None:  # its rule was deleted since: nothing left to send
        return True
    if delivery.outcome == Outcome.DELIVERED:
        return True
    error = ""
    try:
        SENDERS[delivery.channel](delivery.firing)
    except DeliveryError as exc:
        error = str(exc)
    outcome = Outcome.DELIVERED if not error else Outcome.FAILED if last else Outcome.PENDING
    Delivery.objects.filter(id=delivery_id).update(
        attempts=F("attempts") + 1,
        outcome=outcome,
        last_error=error,
        last_attempt_at=timezone.now(),
    )
    return not error


def backoff(retries: int, *, base: int = 30, cap: int = 3600) -> timedelta:
    """Exponential: 30 s, 60 s, 120 s … at most an hour."""
    return timedelta(seconds=min(cap, base * 2**retries))
