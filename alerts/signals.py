"""What alerts announces to apps that watch it (the monitor's push stream): firings, once the
transaction storing them has committed. alerts never imports its listeners."""

import logging

from django.db import transaction
from django.db.models import prefetch_related_objects
from django.dispatch import Signal

logger = logging.getLogger(__name__)

# Sent once the firings' transaction has committed (never for a rolled-back one), with
# `firings`: the stored AlertFiring rows, their `rule` loaded (in one query, after the commit:
# the evaluation builds its firings without them).
firings_announced = Signal()


def announce_firings_on_commit(firings: list) -> None:
    """Send firings_announced for these firings once the current transaction commits."""
    if firings:
        transaction.on_commit(lambda: _announce(firings), robust=True)


def _announce(firings: list) -> None:
    prefetch_related_objects(firings, "rule")
    # A listener's failure is logged, never raised into the evaluation that has committed.
    for listener, answer in firings_announced.send_robust(sender=None, firings=firings):
        if isinstance(answer, Exception):
            logger.error("firings_announced: %s failed", listener, exc_info=answer)
