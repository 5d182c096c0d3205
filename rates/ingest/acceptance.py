"""Scraped and derived rates pass through here before they are published: validation (once,
rates.ingest.validation), then the quarantine.

A rate further than KOEL_QUARANTINE_BAND percent from the pair's last stored rate is not
stored but held (QuarantinedRate, visible in the admin with the reason). It is published when a
second source confirms it (a rate for the same pair from another source, within the band of the
held one) or an admin approves it. A pair with no stored rate yet has nothing to compare with and
is published as given.

A scraped rate (a crawl's batch, `drop_invalid`) dated more than KOEL_STALE_QUOTE_DAYS before the
pair's newest stored rate is rejected as stale, like an invalid row: the crawl then reads nothing
usable and fails, and the manager asks the next source.
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from rates.exceptions import RowError
from rates.ingest.services import rates_write
from rates.ingest.validation import ValidRows, rates_validate
from rates.models import QuarantinedRate, QuarantineStatus
from rates.reads import latest_observations, resolve
from rates.types import RateAnswer, RateRow

# Koel's own source: the inverse and cross rates rates.ingest.derived computes. A held rate of it
# is a derived one and is released as such (QuarantinedRate has no derived column).
DERIVED_SOURCE = "koel"


@dataclass(frozen=True)
class AcceptResult:
    received: int
    written: int  # rows inserted or changed, released ones included
    quarantined: int
    released: int  # held rates of other sources this batch confirmed
    held: frozenset[tuple[str, str]] = frozenset()  # the (base, target) pairs held back
    published: frozenset[tuple[str, str]] = frozenset()  # the pairs of this batch published
    rejected: tuple[RowError, ...] = ()  # invalid rows left out (with drop_invalid)

    def published_by_base(self) -> dict[str, list[str]]:
        """{base: sorted targets} of the pairs published."""
        grouped: dict[str, list[str]] = {}
        for base, target in sorted(self.published):
            grouped.setdefault(base, []).append(target)
        return grouped


def rates_accept(
    *, source: str, rows: Iterable[RateRow], drop_invalid: bool = False
) -> AcceptResult:
    """Validate `rows` of `source` and publish them, holding back those outside the band (see
    the module doc). A bad row fails the batch before any check, or with `drop_invalid` is left
    out and reported in `rejected` (rates.ingest.validation)."""
    rows = list(rows)
    valid = rates_validate(source=source, rows=rows, drop_invalid=drop_invalid)
    references = _references(valid.rows)
    if drop_invalid:
        valid = _without_stale(valid, rows, references)
    publish, to_hold, confirmed = _screen(source, valid.rows, references)
    with transaction.atomic():
        written = rates_write(valid=valid.only(publish)).written
        written += _release(confirmed, by=f"confirmed by {source}")
        _hold(source, to_hold)
    return AcceptResult(
        received=len(rows),
        written=written,
        quarantined=len(to_hold),
        released=len(confirmed),
        held=frozenset((row.base, row.target) for row, _ in to_hold),
        published=frozenset((row.base, row.target) for row in publish),
        rejected=valid.rejected,
    )


def _without_stale(valid: ValidRows, rows: list[RateRow], references: dict) -> ValidRows:
    """`valid` without the rows dated more than KOEL_STALE_QUOTE_DAYS before the pair's newest
    stored rate, each left out as rejected: a site still showing last year's page is failing,
    and its rows would stop the failover to a source with today's rates."""
    limit = timedelta(days=settings.KOEL_STALE_QUOTE_DAYS)
    positions = {id(row): index for index, row in enumerate(rows)}
    kept, stale = [], []
    for row in valid.rows:
        newest = references.get((row.base, row.target))
        if newest is not None and row.observed_at < newest.observed_at - limit:
            message = (
                f"{row.observed_at:%Y-%m-%d} is more than {limit.days} days before the pair's "
                f"newest stored rate ({newest.observed_at:%Y-%m-%d}): a stale quote"
            )
            stale.append(RowError(positions[id(row)], "observed_at", message))
        else:
            kept.append(row)
    return ValidRows(valid.source, tuple(kept), valid.rejected + tuple(stale))


def _screen(source: str, rows: Sequence[RateRow], references: dict) -> tuple[list, list, list]:
    """(rows to publish, (row, reference) pairs to hold, held rates of others they confirm)."""
    band = _band()
    publish, suspect = [], []
    for row in rows:
        answer = references.get((row.base, row.target))
        reference = answer.rate if answer is not None else None
        if reference is None or _deviation(row.rate, reference) <= band:
            publish.append(row)
        else:
            suspect.append((row, reference))
    held = _held_by_others(source, [row for row, _ in suspect])
    confirmed: list[QuarantinedRate] = []
    to_hold: list[tuple[RateRow, Decimal]] = []
    for row, reference in suspect:
        matches = [h for h in held[(row.base, row.target)] if _deviation(h.rate, row.rate) <= band]
        if matches:
            publish.append(row)
            confirmed.extend(matches)
        else:
            to_hold.append((row, reference))
    return publish, to_hold, confirmed


def quarantine_approve(ids: Iterable[int], *, by: str) -> int:
    """Publish held rates an admin approved; returns how many rows were written."""
    with transaction.atomic():
        held = list(
            QuarantinedRate.objects.select_for_update().filter(
                id__in=list(ids), status=QuarantineStatus.HELD
            )
        )
        return _release(held, by=by)


def quarantine_reject(ids: Iterable[int], *, by: str) -> int:
    return QuarantinedRate.objects.filter(id__in=list(ids), status=QuarantineStatus.HELD).update(
        status=QuarantineStatus.REJECTED, resolved_at=timezone.now(), resolved_by=by
    )


def _band() -> Decimal:
    return Decimal(str(settings.KOEL_QUARANTINE_BAND)) / 100


def _deviation(rate: Decimal, reference: Decimal) -> Decimal:
    return abs(rate / reference - 1)


def _references(rows: Sequence[RateRow]) -> dict[tuple[str, str], RateAnswer]:
    """The last stored rate of each pair of `rows`: its direct quote, else the inverse."""
    pairs = {(row.base, row.target) for row in rows}
    codes = {code for pair in pairs for code in pair}
    found = latest_observations(bases=codes, targets=codes)
    references = {}
    for base, target in pairs:
        quote = resolve(found, base, target, ())
        if quote is not None:
            references[(base, target)] = quote
    return references


def _held_by_others(source: str, rows: list[RateRow]) -> dict[tuple[str, str], list]:
    held = defaultdict(list)
    if not rows:
        return held
    queryset = QuarantinedRate.objects.filter(
        status=QuarantineStatus.HELD,
        base_id__in={row.base for row in rows},
        target_id__in={row.target for row in rows},
    ).exclude(source_id=source)
    for rate in queryset:
        held[(rate.base_id, rate.target_id)].append(rate)
    return held


def _release(held: list[QuarantinedRate], *, by: str) -> int:
    written = 0
    by_source = defaultdict(list)
    for rate in held:
        derived = rate.source_id == DERIVED_SOURCE
        by_source[rate.source_id].append(
            RateRow(rate.base_id, rate.target_id, rate.rate, rate.observed_at, derived=derived)
        )
    for source, rows in by_source.items():
        # Validated when they were received; held rows are never edited since.
        written += rates_write(valid=ValidRows(source, tuple(rows))).written
    QuarantinedRate.objects.filter(id__in=[rate.id for rate in held]).update(
        status=QuarantineStatus.RELEASED, resolved_at=timezone.now(), resolved_by=by
    )
    return written


def _hold(source: str, rows: list[tuple[RateRow, Decimal]]) -> None:
    """Hold each row; a source repeating its held value updates its one held row per pair."""
    band = _band()
    for row, reference in rows:
        percent, limit = (row.rate / reference - 1) * 100, float(band * 100)
        reason = (
            f"{percent:+.1f}% from the last stored rate {reference} (band ±{limit:g}%); "
            "held until another source confirms it or an admin approves"
        )
        QuarantinedRate.objects.update_or_create(
            base_id=row.base,
            target_id=row.target,
            source_id=source,
            status=QuarantineStatus.HELD,
            defaults={
                "rate": row.rate,
                "observed_at": row.observed_at,
                "reference_rate": reference,
                "reason": reason,
            },
        )
