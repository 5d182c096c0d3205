"""Blended latest rates: several sources' quotes of a pair reduced to one published rate.

The rule, for a pair base→target:

1. Each source contributes its latest quote of the pair: its direct quote, else the inverse of
   its quote of target→base. Rates Koel derived itself (cross fills) count only when no source
   quotes the pair at all.
2. Only quotes within the pair's refresh window of the newest one are kept (KOEL_BLEND_WINDOW_HOURS:
   6 h when both currencies are primary, 12 h otherwise, as the scrape schedule): an older quote
   is stale, not a second opinion.
3. The median of those quotes is taken; with three quotes or more, those further than
   KOEL_BLEND_OUTLIER_PERCENT from it are excluded (with two, neither can be called the outlier),
   and the published rate is the median of the rest (the mean of the two middle values for an
   even count). With one quote, that quote is the rate.

`source=` pins one source: its own quote, no blending.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings

from rates.models import Currency
from rates.reads.resolution import DERIVED, invert
from rates.reads.selectors import latest_by_source, rates_for_base
from rates.types import Observation, Quote, SourceQuote


@dataclass(frozen=True)
class Blend:
    base: str
    target: str
    rate: Decimal
    observed_at: datetime  # the newest quote that went into the rate
    quotes: tuple[SourceQuote, ...]

    @property
    def used(self) -> tuple[SourceQuote, ...]:
        return tuple(q for q in self.quotes if not q.excluded)

    @property
    def sources(self) -> tuple[str, ...]:
        return tuple(q.source for q in self.used)

    @property
    def derived(self) -> bool:
        return all(q.derived or q.inverse for q in self.used)


def blended_rates(
    *, base: str, targets: Iterable[str], source: str | None = None
) -> dict[str, Blend]:
    """{target: Blend} for the targets some source quotes, directly or inversely."""
    targets = [t for t in dict.fromkeys(targets) if t != base]
    quotes: dict[str, dict[str, SourceQuote]] = defaultdict(dict)
    for observation, _priority in latest_by_source(bases=[base], targets=targets):
        _offer(quotes[observation.target], observation, inverse=False)
    unquoted = [t for t in targets if not _has_market_quote(quotes.get(t))]
    if unquoted:
        for observation, _priority in latest_by_source(bases=unquoted, targets=[base]):
            _offer(quotes[observation.base], observation, inverse=True)
    groups = dict(Currency.objects.filter(code__in=[base, *targets]).values_list("code", "group"))
    blends = {}
    for target, by_source in quotes.items():
        offered = list(by_source.values())
        if source is not None:
            offered = [q for q in offered if q.source == source]
        if offered:
            window = _window(groups.get(base), groups.get(target))
            blends[target] = _blend(base, target, offered, window)
    return blends


def latest_for_base(
    *, base: str, targets: Iterable[str], source: str | None = None
) -> dict[str, "Blend | Quote"]:
    """What every API calls "latest": the blend where sources quote the pair, else (unless one
    source is pinned) the selectors' inverse or cross rate. Targets nothing answers are absent."""
    targets = list(targets)
    found: dict[str, Blend | Quote] = dict(blended_rates(base=base, targets=targets, source=source))
    missing = [t for t in targets if t not in found and t != base]
    if missing and source is None:
        found.update({q.target: q for q in rates_for_base(base=base, targets=missing)})
    return found


def _offer(slot: dict[str, SourceQuote], observation: Observation, *, inverse: bool) -> None:
    """Keep one quote per source: a direct quote beats that source's inverse one."""
    held = slot.get(observation.source)
    if held is not None and (inverse or not held.inverse):
        return
    rate = invert(observation.rate) if inverse else observation.rate
    slot[observation.source] = SourceQuote(
        observation.source, rate, observation.observed_at, inverse, observation.derived
    )


def _has_market_quote(slot: dict[str, SourceQuote] | None) -> bool:
    return bool(slot) and any(not q.derived for q in slot.values())


def _window(*groups: str | None) -> timedelta:
    hours = settings.KOEL_BLEND_WINDOW_HOURS
    secondary = any(group != "primary" for group in groups)
    return timedelta(hours=hours["secondary" if secondary else "primary"])


def _blend(base: str, target: str, offered: list[SourceQuote], window: timedelta) -> Blend:
    market = [q for q in offered if not q.derived] or offered
    newest = max(q.observed_at for q in market)
    marked = []
    for quote in offered:
        if quote.derived and quote not in market:
            marked.append(_excluded(quote, "derived by Koel; sources quote this pair"))
        elif quote.observed_at < newest - window:
            hours = window.total_seconds() / 3600
            marked.append(_excluded(quote, f"older than {hours:g} h before the newest quote"))
        else:
            marked.append(quote)
    fresh = [q for q in marked if not q.excluded]
    middle = _median([q.rate for q in fresh])
    limit = Decimal(str(settings.KOEL_BLEND_OUTLIER_PERCENT)) / 100
    final = []
    for quote in marked:
        if len(fresh) >= 3 and not quote.excluded and abs(quote.rate / middle - 1) > limit:
            percent = float(limit * 100)
            quote = _excluded(quote, f"more than {percent:g}% from the median {middle}")
        final.append(quote)
    used = [q for q in final if not q.excluded]
    return Blend(
        base=base,
        target=target,
        rate=_median([q.rate for q in used]),
        observed_at=max(q.observed_at for q in used),
        quotes=tuple(sorted(final, key=lambda q: (q.excluded, q.source))),
    )


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
