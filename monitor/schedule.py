"""The live feed's periodic tasks in django-celery-beat: the tick (an interval schedule, default
30 s) and the daily retention. Created once, at migrate time (monitor.apps), then the admin's:
a changed interval or enabled flag survives restarts."""

import json

from django.conf import settings
from django.db import transaction
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

LIVE_TASK = "monitor.tasks.live_tick"
LIVE_TASK_NAME = "koel: live tick"
RETENTION_TASK = "monitor.tasks.live_retention"
RETENTION_TASK_NAME = "koel: live retention"
# A crontab fires at most once a minute: the shortest gap the budget has to assume of one.
CRONTAB_SECONDS = 60


@transaction.atomic
def live_schedules_load(*, using: str = "default") -> int:
    """Create the live tick's and the retention's periodic tasks if missing; returns how many
    were created. The tick's `expire_seconds` equals its interval: a tick still queued when the
    next is due is dropped by the worker, not run late (beat does not queue up missed ones)."""
    every = settings.KOEL_LIVE_INTERVAL_SECONDS
    interval, _ = IntervalSchedule.objects.using(using).get_or_create(
        every=every, period=IntervalSchedule.SECONDS
    )
    _, tick = PeriodicTask.objects.using(using).get_or_create(
        name=LIVE_TASK_NAME,
        defaults={
            "task": LIVE_TASK,
            "interval": interval,
            "expire_seconds": every,
            "args": json.dumps([]),
            "description": "Refreshes the live pairs from the live sources (monitor).",
        },
    )
    # Daily with the partition maintenance (00:30 UTC), on the same schedule row: tasks sharing
    # a cadence share one schedule (django-celery-beat's advice).
    daily, _ = CrontabSchedule.objects.using(using).get_or_create(
        minute="30", hour="0", day_of_week="*", day_of_month="*", month_of_year="*", timezone="UTC"
    )
    _, retention = PeriodicTask.objects.using(using).get_or_create(
        name=RETENTION_TASK_NAME,
        defaults={
            "task": RETENTION_TASK,
            "crontab": daily,
            "args": json.dumps([]),
            "description": "Folds live ticks older than KOEL_LIVE_RETENTION_DAYS into hourly bars.",
        },
    )
    return tick + retention


def schedule_seconds(interval: IntervalSchedule) -> float:
    """An interval schedule's period in seconds."""
    return interval.schedule.run_every.total_seconds()


def live_task() -> PeriodicTask | None:
    """The enabled periodic task running the live tick (the first by name if an admin made
    several), or None."""
    tasks = PeriodicTask.objects.filter(task=LIVE_TASK, enabled=True)
    return tasks.select_related("interval").order_by("name").first()


def live_interval_seconds() -> float | None:
    """How often the live tick runs, in seconds; None when no enabled task runs it."""
    task = live_task()
    if task is None:
        return None
    if task.interval_id:
        return schedule_seconds(task.interval)
    return CRONTAB_SECONDS if task.crontab_id else None
