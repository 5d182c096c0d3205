"""The live tick: fetch the live pairs from the live sources (with failover), derive every cross
rate among the live currencies, and store the changed quotes and crosses in one transaction;
then record the feed's state (monitor.models.LiveFeed).

The tick refuses to run over the politeness budget (monitor.budget): the feed goes down with
the reason, so an operator sees why. A quote equal to its source's latest for the pair is not
stored again, nor is a cross rate equal to Koel's latest one: a quiet market adds no rows.
"""

import logging
import time
from collections import Counter
from collections.abc import Iterable, Sequence

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from monitor.budget import budget_refusal
from monitor.crosses import cross_rows
from monitor.live import live_currencies, live_pairs
from monitor.models import FeedState, LiveFeed
from monitor.schedule import live_interval_seconds
from rates.ingest.acceptance import DERIVED_SOURCE, rates_accept
from rates.reads.observations import latest_quotes
from rates.types import RateRow
from scrapers.live import SourceAnswer, live_quotes

logger = logging.getLogger(__name__)


def live_tick_run(*, interval_seconds: float | None = None) -> LiveFeed:
    """One tick (module doc); `interval_seconds` defaults to the live task's schedule."""
    started = time.monotonic()
    pairs = live_pairs()
    if interval_seconds is None:
        interval_seconds = live_interval_seconds()
    if refusal := budget_refusal(pairs=len(pairs), interval_seconds=interval_seconds):
        logger.error("live tick refused: %s", refusal)
        return feed_record(FeedState.DOWN, reason=f"refused: {refusal}", started=started)
    if not pairs:
        return feed_record(FeedState.IDLE, reason="no active live pairs", started=started)
    answers = live_quotes(sources=settings.KOEL_LIVE_SOURCES, pairs=pairs)
    quotes = [row for answer in answers for row in answer.rows]
    if not quotes:
        errors = "; ".join(answer.error for answer in answers if answer.error) or "no live source"
        reason = f"live feed down: no live source answered ({errors})"
        logger.warning("%s", reason)
        return feed_record(FeedState.DOWN, reason=reason, started=started)
    crosses = cross_rows(quotes, live_currencies())
    try:
        stored = ticks_store(answers, crosses)
    except Exception as error:
        # Rolled back: nothing of this tick is stored, and the feed says why.
        feed_record(FeedState.DOWN, reason=f"storing the tick failed: {error}", started=started)
        raise
    return feed_record(
        FeedState.UP,
        reason=_missed(pairs, quotes),
        source=_main_source(answers),
        answered=len(quotes),
        stored=stored,
        started=started,
    )


def ticks_store(answers: Sequence[SourceAnswer], crosses: Sequence[RateRow]) -> int:
    """Store each source's changed quotes and the changed crosses, all or nothing; returns the
    rows written."""
    batches = {answer.source: answer.rows for answer in answers if answer.rows}
    batches[DERIVED_SOURCE] = list(crosses)
    codes = {code for rows in batches.values() for row in rows for code in (row.base, row.target)}
    latest = {
        (observation.source, observation.base, observation.target): observation.rate
        for observation, _priority in latest_quotes(bases=codes, targets=codes)
    }
    written = 0
    with transaction.atomic():
        for source, rows in batches.items():
            changed = [
                row for row in rows if latest.get((source, row.base, row.target)) != row.rate
            ]
            if changed:
                written += rates_accept(source=source, rows=changed).written
    return written


def feed_record(
    state: str,
    *,
    reason: str = "",
    source: str = "",
    answered: int = 0,
    stored: int = 0,
    started: float,
) -> LiveFeed:
    feed = LiveFeed.current()
    feed.state, feed.reason, feed.source = state, reason, source
    feed.answered, feed.stored = answered, stored
    feed.last_tick_at = timezone.now()
    feed.seconds = round(time.monotonic() - started, 4)
    feed.save()
    return feed


def _missed(pairs: Iterable[tuple[str, str]], quotes: Sequence[RateRow]) -> str:
    answered = {frozenset((row.base, row.target)) for row in quotes}
    missed = [
        f"{base}/{target}" for base, target in pairs if frozenset((base, target)) not in answered
    ]
    return f"no live quote for {', '.join(missed)}" if missed else ""


def _main_source(answers: Sequence[SourceAnswer]) -> str:
    """The source that answered the most pairs (the earlier in failover order on a tie)."""
    counts = Counter({answer.source: len(answer.rows) for answer in answers if answer.rows})
    return counts.most_common(1)[0][0] if counts else ""
