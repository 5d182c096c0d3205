"""Scraped rates pass through here before they are published: the quarantine.

A scraped rate further than KOEL_QUARANTINE_BAND percent from the pair's last stored rate is not
stored but held (QuarantinedRate, visible in the admin with the reason). It is published when a
second source confirms it (a rate for the same pair from another source, within the band of the
held one) or an admin approves it. A pair with no stored rate yet has nothing to compare with and
is published as given.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from rates.ingest.services import rates_upsert, rates_validate
from rates.models import QuarantinedRate, QuarantineStatus
from rates.reads import latest_observations, resolve
from rates.types import RateRow


@dataclass(frozen=True)
class AcceptResult:
    received: int
    written: int  # rows inserted or changed, released ones included
    quarantined: int
    released: int  # held rates of other sources this batch confirmed
    held: frozenset[tuple[str, str]] = frozenset()  # the (base, target) pairs held back


def rates_accept(*, source: str, rows: Iterable[RateRow]) -> AcceptResult:
    """Publish `rows` of `source`, holding back those outside the band (see the module doc)."""
    rows = list(rows)
    rates_validate(source=source, rows=rows)
    band = Decimal(str(settings.KOEL_QUARANTINE_BAND)) / 100
    references = _references(rows)
    publish, suspect = [], []
    for row in rows:
        reference = references.get((row.base, row.target))
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
    with transaction.atomic():
        written = rates_upsert(source=source, rows=publish).written
        written += _release(confirmed, by=f"confirmed by {source}")
        _hold(source, to_hold, band)
    held_pairs = frozenset((row.base, row.target) for row, _ in to_hold)
    return AcceptResult(len(rows), written, len(to_hold), len(confirmed), held_pairs)


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


def _deviation(rate: Decimal, reference: Decimal) -> Decimal:
    return abs(rate / reference - 1)


def _references(rows: list[RateRow]) -> dict[tuple[str, str], Decimal]:
    """The last stored rate of each pair of `rows`: its direct quote, else the inverse."""
    pairs = {(row.base, row.target) for row in rows}
    codes = {code for pair in pairs for code in pair}
    found = latest_observations(bases=codes, targets=codes)
    references = {}
    for base, target in pairs:
        quote = resolve(found, base, target, ())
        if quote is not None:
            references[(base, target)] = quote.rate
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
        by_source[rate.source_id].append(
            RateRow(rate.base_id, rate.target_id, rate.rate, rate.observed_at)
        )
    for source, rows in by_source.items():
        written += rates_upsert(source=source, rows=rows).written
    QuarantinedRate.objects.filter(id__in=[rate.id for rate in held]).update(
        status=QuarantineStatus.RELEASED, resolved_at=timezone.now(), resolved_by=by
    )
    return written


def _hold(source: str, rows: list[tuple[RateRow, Decimal]], band: Decimal) -> None:
    """Hold each row; a source repeating its held value updates its one held row per pair."""
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
