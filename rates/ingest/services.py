"""Writes. Every rate is stored by `rates_write`, after rates.ingest.validation passed it."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction

from rates.cache import bump_on_commit, released_on_rollback
from rates.counters import counter_add
from rates.ingest.bulk import (
    Batch,
    LatestFold,
    any_stored,
    changed_pairs,
    copy_or_merge,
    lock_source,
    merge,
    risky_rows,
    stored_latest,
)
from rates.ingest.partitions import partitions_ensure
from rates.ingest.validation import ValidRows, rates_validate
from rates.signals import announce_on_commit
from rates.table import months_between
from rates.types import RateRow


@dataclass(frozen=True)
class UpsertResult:
    received: int  # rows passed in (duplicates included)
    written: int  # rows inserted or changed; unchanged rows are not counted
    first: datetime | None
    last: datetime | None


def rates_upsert(*, source: str, rows: Iterable[RateRow]) -> UpsertResult:
    """Validate `rows` of `source` (rates.ingest.validation: any bad row raises InvalidRateBatch
    and nothing is written), then write them with rates_write. For loaders and imports; scraped
    and derived rates go through the quarantine (rates.ingest.acceptance.rates_accept) instead."""
    return rates_write(valid=rates_validate(source=source, rows=rows))


def rates_write(*, valid: ValidRows) -> UpsertResult:
    """Insert or overwrite one source's validated rates, all or nothing, and update its latest
    rates.

    Within a batch the last row for a (base, target, observed_at) wins. A batch that cannot
    collide with stored rows (each row newer than anything the source gave for its base, or a
    sample of keys not found) is COPYed straight into the table; otherwise, or if the COPY meets
    a stored key after all, it goes through a staging table and INSERT … ON CONFLICT DO UPDATE
    (rates.ingest.bulk).
    """
    source, rows = valid.source, list(valid.rows)
    if not rows:
        return UpsertResult(received=0, written=0, first=None, last=None)
    batch = Batch(source, rows)
    # Outside the atomic block: a failed COMMIT rolls back too, and the marks go with it.
    with released_on_rollback(), transaction.atomic():
        partitions_ensure(months_between(batch.first, batch.last))
        lock_source(source)
        stored = stored_latest(source, batch.newest_per_pair)
        risky = risky_rows(batch, stored)
        collides = bool(risky) and any_stored(source, risky)
        latest = LatestFold(batch, stored)
        written = merge(batch, latest) if collides else copy_or_merge(batch, latest)
        latest.write()
        # The last step before the COMMIT: the bases are marked in flight (rates.cache).
        bump_on_commit(batch.newest_per_pair)
        # Counted once committed: a rolled-back write stored nothing (/metrics).
        transaction.on_commit(lambda: counter_add("rates_stored", source, written))
        announce_on_commit(source, changed_pairs(batch.newest_per_pair, stored))
    return UpsertResult(received=len(rows), written=written, first=batch.first, last=batch.last)
