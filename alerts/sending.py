"""What sending either kind of delivery (a firing's, alerts.delivery; a data webhook's batch,
alerts.subscriptions) shares: queueing one Celery task per delivery once the transaction that
created them commits, trying once and recording the attempt as a row, and retrying with
exponential backoff."""

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from celery import Task, current_app
from django.db import transaction
from django.utils import timezone

from alerts.channels import DeliveryError
from alerts.models import AttemptOutcome, DataDelivery, Delivery, Outcome

logger = logging.getLogger(__name__)


def queue_after_commit(*, task_name: str, ids: list[int]) -> None:
    """Queue the task once per id after the current transaction commits (never for a rolled-back
    one). The task is named, not imported: the tasks modules import their services."""
    if ids:
        transaction.on_commit(lambda: _queue(task_name, ids), robust=True)


def _queue(task_name: str, ids: list[int]) -> None:
    task = current_app.tasks[task_name]
    for delivery_id in ids:
        # One task per delivery: a broker hiccup on one must not keep the others unsent.
        try:
            task.delay(delivery_id)
        except Exception:
            logger.exception("alerts: could not queue %s(%s)", task_name, delivery_id)


def backoff(retries: int, *, base: int = 30, cap: int = 3600) -> timedelta:
    """Exponential: 30 s, 60 s, 120 s … at most an hour."""
    return timedelta(seconds=min(cap, base * 2**retries))


def attempt_or_retry(task: Task, attempt: Callable[..., str], delivery_id: int) -> bool:
    """Run one attempt of a bound task; True when delivered. A still-pending delivery is retried
    after the backoff; the task's last retry settles it."""
    last = task.request.retries >= task.max_retries
    outcome = attempt(delivery_id=delivery_id, last=last)
    if outcome != Outcome.PENDING:
        return outcome == Outcome.DELIVERED
    raise task.retry(countdown=backoff(task.request.retries).total_seconds())


@dataclass(frozen=True)
class Tried:
    """What one attempt came to, before it is recorded."""

    started_at: datetime
    duration_ms: int
    http_status: int | None
    error: str
    final: bool  # a failure that retrying cannot mend


def try_once(send: Callable[[], int | None]) -> Tried:
    started_at, clock = timezone.now(), time.monotonic()
    error, status, final = "", None, False
    try:
        status = send()
    except DeliveryError as exc:
        error, status, final = str(exc), exc.http_status, exc.final
    duration_ms = round((time.monotonic() - clock) * 1000)
    return Tried(started_at, duration_ms, status, error, final)


def attempt_send(
    delivery: Delivery | DataDelivery, send: Callable[[], int | None], *, last: bool
) -> str:
    """Try `send` once and record the attempt: a row in the delivery's attempt_log, and the
    delivery's summary of it (count, newest error and time, outcome), in one transaction.
    Returns the outcome: pending until delivered, failed after the `last` attempt or a failure
    that retrying cannot mend."""
    tried = try_once(send)
    failed = Outcome.FAILED if last or tried.final else Outcome.PENDING
    outcome = failed if tried.error else Outcome.DELIVERED
    deliveries = type(delivery).objects.filter(id=delivery.id)
    with transaction.atomic():
        # Locked: a redelivered task running at once cannot number two attempts alike.
        done = deliveries.select_for_update().values_list("attempts", flat=True).first()
        if done is None:  # deleted (with its rule or subscription) while being sent
            return Outcome.DELIVERED
        delivery.attempt_log.create(
            number=done + 1,
            started_at=tried.started_at,
            duration_ms=tried.duration_ms,
            outcome=AttemptOutcome.FAILED if tried.error else AttemptOutcome.DELIVERED,
            http_status=tried.http_status,
            error=tried.error,
        )
        deliveries.update(
            attempts=done + 1,
            outcome=outcome,
            last_error=tried.error,
            last_attempt_at=tried.started_at,
        )
    return outcome
