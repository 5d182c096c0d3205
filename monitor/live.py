"""Selectors of the live group and the live snapshot (the monitor page's first paint and
GET /api/v1/monitor/live/)."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from monitor.crosses import market_pairs
from monitor.models import FeedState, LiveFeed, LivePair
from monitor.schedule import live_interval_seconds
from rates.ingest.acceptance import DERIVED_SOURCE
from rates.reads.observations import latest_quotes, observations_at
from rates.types import Observation

# The feed counts as down once its last tick is older than this many intervals (worker stopped).
STALE_INTERVALS = 3


def live_pairs() -> list[tuple[str, str]]:
    """The active live pairs (base, target), in display order."""
    return list(LivePair.objects.filter(active=True).values_list("base", "target"))


def live_currencies() -> list[str]:
    """Every currency of the active live pairs, sorted."""
    return sorted({code for pair in live_pairs() for code in pair})


def live_snapshot(*, now: datetime | None = None) -> dict:
    """The feed's state, each live pair's latest live quote and each cross rate among the live
    currencies, with the change since the rate in force at 00:00 UTC today; JSON-ready
    (docs/monitor.md "Live feed" gives the shape)."""
    now = now or timezone.now()
    pairs = live_pairs()
    crosses = market_pairs(code for pair in pairs for code in pair)
    codes = {code for pair in pairs for code in pair}
    latest = _latest(codes)
    midnight = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    opens = observations_at(bases=codes, targets=codes, at=midnight) if codes else {}
    interval = live_interval_seconds()
    live_sources = settings.KOEL_LIVE_SOURCES
    return {
        "feed": _feed(interval, now),
        "pairs": [_entry(latest, opens, pair, live_sources) for pair in pairs],
        "crosses": [_entry(latest, opens, pair, [DERIVED_SOURCE]) for pair in crosses],
    }


def _latest(codes: set[str]) -> dict[tuple[str, str, str], Observation]:
    if not codes:
        return {}
    return {(o.source, o.base, o.target): o for o, _ in latest_quotes(bases=codes, targets=codes)}


def _entry(latest: dict, opens: dict, pair: tuple[str, str], sources: list[str]) -> dict:
    """The newest observation of `pair` from `sources` (a live quote, or a derived cross)."""
    base, target = pair
    found = [latest[(s, base, target)] for s in sources if (s, base, target) in latest]
    quote = max(found, key=lambda o: o.observed_at, default=None)
    opening = opens.get(pair)
    open_rate = opening.rate if opening is not None else None
    return {
        "pair": f"{base}/{target}",
        "base": base,
        "target": target,
        "rate": _text(quote.rate if quote else None),
        "open": _text(open_rate),
        "change_pct": _text(_change(quote, open_rate)),
        "source": quote.source if quote else None,
        "observed_at": quote.observed_at.isoformat() if quote else None,
        "derived": quote.derived if quote else sources == [DERIVED_SOURCE],
    }


def _change(quote: Observation | None, open_rate: Decimal | None) -> Decimal | None:
    if quote is None or open_rate is None:
        return None
    return ((quote.rate / open_rate - 1) * 100).quantize(Decimal("0.001"))


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _feed(interval: float | None, now: datetime) -> dict:
    feed = LiveFeed.objects.filter(pk=1).first() or LiveFeed()
    state, reason = feed.state, feed.reason or None
    if interval is None:
        state, reason = FeedState.IDLE, "the live tick is not scheduled (or disabled)"
    elif feed.last_tick_at and now - feed.last_tick_at > timedelta(
        seconds=STALE_INTERVALS * interval
    ):
        age = int((now - feed.last_tick_at).total_seconds())
        state, reason = FeedState.DOWN, f"no tick for {age} s: is the Celery worker or beat down?"
    return {
        "state": str(state),
        "reason": reason,
        "last_tick_at": feed.last_tick_at.isoformat() if feed.last_tick_at else None,
        "source": feed.source or None,
        "interval_seconds": int(interval) if interval else None,
    }
