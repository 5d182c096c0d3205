"""What the admin dashboard shows (selectors): how fresh each currency group is against its
schedule, each source's state, the last runs, the quarantine's open count, rates per day."""

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from rates.models import QuarantinedRate, QuarantineStatus, ScrapeRun, Source
from rates.reads import DayCount, GroupNewest, group_newest, rates_per_day
from rates.runs.health import Circuit, circuit_state, source_availability
from rates.runs.schedules import group_schedules, schedule_gap

# Counting a month of a 20-million-row table takes a moment: the chart is recounted this often.
PER_DAY_CACHE_SECONDS = 300


class Freshness(enum.StrEnum):
    FRESH = "fresh"
    STALE = "stale"
    NO_RATES = "no rates"
    UNSCHEDULED = "no regular schedule"  # nothing to measure the age against


@dataclass(frozen=True)
class GroupFreshness:
    rates: GroupNewest
    age: timedelta | None  # of the group's newest rate
    schedules: list[PeriodicTask]  # every one scraping the group, enabled or not
    gap: timedelta | None  # the shortest longest-gap of its enabled schedules
    state: Freshness

    @property
    def stale_after(self) -> timedelta | None:
        return None if self.gap is None else self.gap + freshness_grace()


class SourceState(enum.StrEnum):
    UP = "up"
    DOWN = "down"
    CIRCUIT_OPEN = "circuit open"
    UNTRIED = "never tried"
    DISABLED = "disabled"


@dataclass(frozen=True)
class SourceHealth:
    source: Source
    state: SourceState
    unusable: str  # why a scrape would not use it now; empty when it would


def freshness_grace() -> timedelta:
    """A run takes minutes, and its rates land as it goes: a group is stale only once its newest
    rate is older than the longest gap between its scheduled runs plus this."""
    return timedelta(minutes=settings.KOEL_FRESHNESS_GRACE_MINUTES)


def group_freshness(*, now: datetime | None = None) -> list[GroupFreshness]:
    """Each currency group with active currencies or a schedule, in group order."""
    now = now or timezone.now()
    schedules = group_schedules()
    found = {row.group: row for row in group_newest()}
    for group in schedules.keys() - found.keys():
        found[group] = GroupNewest(group, 0, 0, None, None, "")
    return [_freshness(found[group], schedules.get(group, []), now) for group in sorted(found)]


def _freshness(rates: GroupNewest, schedules: list[PeriodicTask], now: datetime):
    gaps = [gap for task in schedules if task.enabled and (gap := schedule_gap(task))]
    gap = min(gaps, default=None)
    age = None if rates.newest is None else now - rates.newest
    if age is None:
        state = Freshness.NO_RATES
    elif gap is None:
        state = Freshness.UNSCHEDULED
    else:
        state = Freshness.STALE if age > gap + freshness_grace() else Freshness.FRESH
    return GroupFreshness(rates=rates, age=age, schedules=schedules, gap=gap, state=state)


def source_health(*, now: datetime | None = None) -> list[SourceHealth]:
    """Every source, enabled ones first, each in priority order."""
    now = now or timezone.now()
    sources = Source.objects.order_by("-enabled", "priority", "code")
    found = []
    for source in sources:
        availability = source_availability(source, now)
        unusable = "" if availability.usable else availability.reason
        found.append(SourceHealth(source, _state(source, now), unusable))
    return found


def _state(source: Source, now: datetime) -> SourceState:
    if not source.enabled:
        return SourceState.DISABLED
    if circuit_state(source, now) is Circuit.OPEN:
        return SourceState.CIRCUIT_OPEN
    if not source.attempts:
        return SourceState.UNTRIED
    return SourceState.DOWN if source.consecutive_failures else SourceState.UP


def runs_recent(*, limit: int = 10) -> list[ScrapeRun]:
    return list(ScrapeRun.objects.order_by("-started_at", "-id")[:limit])


def quarantine_held_count() -> int:
    return QuarantinedRate.objects.filter(status=QuarantineStatus.HELD).count()


def rates_per_day_recent(*, days: int = 30) -> list[DayCount]:
    """rates.reads.rates_per_day up to today, recounted every PER_DAY_CACHE_SECONDS."""
    key = f"koel:dashboard:per-day:{days}:{timezone.now().date().isoformat()}"
    counts = cache.get(key)
    if counts is None:
        counts = rates_per_day(days=days)
        cache.set(key, counts, PER_DAY_CACHE_SECONDS)
    return counts
