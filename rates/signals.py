"""Cache invalidation when currencies or sources change through the ORM (the admin's forms,
list edits and deletes). Bulk loads (rates.ingest.loading) bump the catalog themselves; health
counters are written with queryset.update() and send no signal, as they change no answer."""

import logging

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import Signal, receiver

from rates.cache import bump_catalog_on_commit
from rates.models import Currency, Source
from rates.types import RateRow

logger = logging.getLogger(__name__)


@receiver([post_save, post_delete], sender=Currency)
@receiver([post_save, post_delete], sender=Source)
def catalog_changed(sender, **kwargs) -> None:
    bump_catalog_on_commit()


# Sent once a write of rates has committed (never for a rolled-back one), with
# `source` (its code) and `changes`: {(base, target): RateRow}, the newest row of each pair whose
# latest quote of that source changed. Apps that watch rates (alerts) listen; rates never
# imports them.
rates_landed = Signal()


def announce_on_commit(source: str, changes: dict[tuple[str, str], RateRow]) -> None:
    """Send rates_landed for these changes once the current transaction commits."""
    if changes:
        transaction.on_commit(lambda: _announce(source, changes), robust=True)


def _announce(source: str, changes: dict[tuple[str, str], RateRow]) -> None:
    # A listener's failure is logged, never raised into the write that has committed already.
    answers = rates_landed.send_robust(sender=RateRow, source=source, changes=changes)
    for listener, answer in answers:
        if isinstance(answer, Exception):
            logger.error("rates_landed: %s failed", listener, exc_info=answer)
