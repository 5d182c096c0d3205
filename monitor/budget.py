"""The politeness budget of the live sources: each tick asks a source at most once per live
pair (failover asks the next source only the pairs the previous one missed), so one source gets
at most pairs × 60 / interval requests a minute, which must stay within
KOEL_LIVE_BUDGET_PER_MINUTE (default 50: the spiders' ~1.2 s between requests)."""

from django.conf import settings

from monitor.models import LivePair
from monitor.schedule import live_interval_seconds

Refusal = str | None  # why the budget refuses, or None


def requests_per_minute(*, pairs: int, interval_seconds: float) -> float:
    return pairs * 60 / interval_seconds


def budget_refusal(*, pairs: int, interval_seconds: float | None) -> Refusal:
    """Why `pairs` live pairs every `interval_seconds` break the budget, or None."""
    if interval_seconds is None or pairs == 0:
        return None
    if interval_seconds <= 0:
        return "The interval must be positive."
    wanted = requests_per_minute(pairs=pairs, interval_seconds=interval_seconds)
    budget = settings.KOEL_LIVE_BUDGET_PER_MINUTE
    if wanted <= budget:
        return None
    return (
        f"{pairs} live pairs every {interval_seconds:g} s is {wanted:g} requests a minute per "
        f"live source, over the politeness budget of {budget} (KOEL_LIVE_BUDGET_PER_MINUTE): "
        f"use fewer pairs or an interval of at least {pairs * 60 / budget:g} s."
    )


def live_set_refusal(*, adding=None, active: int | None = None) -> Refusal:
    """Why the live set at the live tick's current interval breaks the budget, or None:
    `active` active pairs, else the stored active pairs plus `adding` (a LivePair being saved
    active) when it is not one of them already."""
    if active is None:
        stored = LivePair.objects.filter(active=True)
        if adding is not None and adding.pk is not None:
            stored = stored.exclude(pk=adding.pk)
        active = stored.count() + (adding is not None)
    return budget_refusal(pairs=active, interval_seconds=live_interval_seconds())


def interval_refusal(interval_seconds: float) -> Refusal:
    """Why running the live tick every `interval_seconds` breaks the budget, or None."""
    pairs = LivePair.objects.filter(active=True).count()
    return budget_refusal(pairs=pairs, interval_seconds=interval_seconds)
