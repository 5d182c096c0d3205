"""Blended latest rates: several sources' quotes of a pair reduced to one published rate.

The rule, for a pair base→target (rates.reads.latest gathers the quotes):

1. Each source contributes its latest quote of the pair: its direct quote, else the inverse of
   its quote of target→base (inverse quotes are only gathered when no source quotes the pair
   itself, or when every source's quote of it is dated, UTC day, before the newest quote of
   target→base: those are then listed as excluded). Rates Koel derived itself (cross fills)
   count only when no source quotes the pair.
2. Only quotes within the pair's refresh window of the newest one are kept (KOEL_BLEND_WINDOW_HOURS:
   6 h when both currencies are primary, 12 h otherwise, as the scrape schedule): an older quote
   is stale, not a second opinion.
3. The median of those quotes is taken; with three quotes or more, those further than
   KOEL_BLEND_OUTLIER_PERCENT from it are excluded (with two, neither can be called the outlier),
   and the published rate is the median of the rest (the mean of the two middle values for an
   even count). With one quote, that quote is the rate.
"""

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

from django.conf import settings

from rates.reads.resolution import DERIVED
from rates.types import RateAnswer, RatePath, SourceQuote


def refresh_window(*groups: str | None) -> timedelta:
    """How often a pair of currencies of these groups is scraped: its quotes' shelf life."""
    hours = settings.KOEL_BLEND_WINDOW_HOURS
    secondary = any(group != "primary" for group in groups)
    return timedelta(hours=hours["secondary" if secondary else "primary"])


def window_rule() -> Callable[[str | None, str | None], timedelta]:
    """`refresh_window` of two groups, with the settings read once (a base blends ~150 pairs)."""
    hours = settings.KOEL_BLEND_WINDOW_HOURS
    primary, secondary = timedelta(hours=hours["primary"]), timedelta(hours=hours["secondary"])

    def window(base_group: str | None, target_group: str | None) -> timedelta:
        return primary if base_group == "primary" == target_group else secondary

    return window


def blend(base: str, target: str, offered: list[SourceQuote], window: timedelta) -> RateAnswer:
    """The published rate of base→target from each source's quote (see the module rule)."""
    if len(offered) == 1:
        return _alone(base, target, offered[0], window)
    marked = _fresh(offered, window)
    fresh = [q for q in marked if not q.excluded]
    middle = _median([q.rate for q in fresh])
    limit = Decimal(str(settings.KOEL_BLEND_OUTLIER_PERCENT)) / 100
    final = []
    for quote in marked:
        if len(fresh) >= 3 and not quote.excluded and abs(quote.rate / middle - 1) > limit:
            percent = float(limit * 100)
            quote = _excluded(quote, f"more than {percent:g}% from the median {middle}")
        final.append(quote)
    quotes = tuple(sorted(final, key=lambda q: (q.excluded, q.source)))
    used = [q for q in quotes if not q.excluded]
    return RateAnswer(
        base=base,
        target=target,
        rate=_median([q.rate for q in used]),
        observed_at=max(q.observed_at for q in used),
        sources=tuple(q.source for q in used),
        path=RatePath.DIRECT if any(not q.inverse for q in used) else RatePath.INVERSE,
        via=None,
        derived=all(q.derived or q.inverse for q in used),
        quotes=quotes,
        refresh_window=window,
    )


def _alone(base: str, target: str, quote: SourceQuote, window: timedelta) -> RateAnswer:
    """The rule for a single quote, without its lists: nothing to exclude, the quote is the rate."""
    return RateAnswer(
        base=base,
        target=target,
        rate=quote.rate,
        observed_at=quote.observed_at,
        sources=(quote.source,),
        path=RatePath.INVERSE if quote.inverse else RatePath.DIRECT,
        via=None,
        derived=quote.derived or quote.inverse,
        quotes=(quote,),
        refresh_window=window,
    )


def _fresh(offered: list[SourceQuote], window: timedelta) -> list[SourceQuote]:
    """Quotes marked excluded when derived beside market quotes, or older than the window (those
    the caller excluded keep their reason)."""
    market = [q for q in offered if not q.derived and not q.excluded] or offered
    newest = max(q.observed_at for q in market)
    marked = []
    for quote in offered:
        if quote.excluded:
            marked.append(quote)
        elif quote.derived and quote not in market:
            marked.append(_excluded(quote, "derived by Koel; sources quote this pair"))
        elif quote.observed_at < newest - window:
            hours = window.total_seconds() / 3600
            marked.append(_excluded(quote, f"older than {hours:g} h before the newest quote"))
        else:
            marked.append(quote)
    return marked


def _excluded(quote: SourceQuote, reason: str) -> SourceQuote:
    return SourceQuote(
        quote.source, quote.rate, quote.observed_at, quote.inverse, quote.derived, True, reason
    )


def _median(rates: list[Decimal]) -> Decimal:
    ordered = sorted(rates)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return DERIVED.divide(ordered[middle - 1] + ordered[middle], 2)
