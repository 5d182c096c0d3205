"""Periodic tasks in django-celery-beat, created on set-up and editable in the admin."""

import itertools
import json
from datetime import timedelta

from django.db import transaction
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from rates.runs.scraping import TASKS, Scope

# name -> (task, crontab fields in UTC, task arguments, description).
SCHEDULES = {
    "koel: partition maintenance": (
        "rates.tasks.maintain_partitions",
        {"minute": "30", "hour": "0"},
        [],
        "Creates upcoming monthly partitions of the rate table and applies the retention.",
    ),
    "koel: worker heartbeat": (
        "rates.tasks.heartbeat",
        {"minute": "*"},
        [],
        "Every minute: a worker records that it runs tasks; /health/ reads the time.",
    ),
    "koel: sweep interrupted runs": (
        "rates.tasks.sweep_runs",
        {"minute": "*/5"},
        [],
        "Every 5 minutes: runs whose worker is gone or past their time limit are closed as failed.",
    ),
    "koel: scrape primary currencies": (
        TASKS[Scope.GROUP],
        {"minute": "0", "hour": "0,6,12,18"},
        ["primary"],
        "Every 6 hours: the 15 primary currencies as bases, with failover between sources.",
    ),
    "koel: scrape secondary currencies": (
        TASKS[Scope.GROUP],
        {"minute": "0", "hour": "3,15"},
        ["secondary"],
        "Every 12 hours: every other active currency as a base.",
    ),
}


@transaction.atomic
def schedules_load() -> int:
    """Create the periodic tasks that do not exist yet; returns how many were created.

    Existing ones are left as they are, so an admin's change of time or enabled flag survives
    restarts. Tasks sharing a cadence share one CrontabSchedule row.
    """
    created = 0
    for name, (task, cron, args, description) in SCHEDULES.items():
        schedule, _ = CrontabSchedule.objects.get_or_create(
            **cron, day_of_week="*", day_of_month="*", month_of_year="*", timezone="UTC"
        )
        _, was_created = PeriodicTask.objects.get_or_create(
            name=name,
            defaults={
                "task": task,
                "crontab": schedule,
                "args": json.dumps(args),
                "description": description,
            },
        )
        created += was_created
    return created


WEEK_MINUTES = 7 * 24 * 60


def group_schedules() -> dict[str, list[PeriodicTask]]:
    """{group: the periodic tasks that scrape it}, enabled or not, by name."""
    found: dict[str, list[PeriodicTask]] = {}
    tasks = PeriodicTask.objects.filter(task=TASKS[Scope.GROUP]).select_related(
        "crontab", "interval"
    )
    for task in tasks.order_by("name"):
        try:
            args = json.loads(task.args or "[]")
        except ValueError:
            continue  # an admin's malformed arguments: beat cannot run it either
        if isinstance(args, list) and args and isinstance(args[0], str):
            found.setdefault(args[0], []).append(task)
    return found


def schedule_gap(task: PeriodicTask) -> timedelta | None:
    """The longest time between two runs of `task`: how old its rates may grow while it runs
    on time. None when that is not regular (days of the month or months restricted, a solar
    or one-off schedule) or when it never runs."""
    if task.interval_id:
        return timedelta(**{task.interval.period: task.interval.every})
    if not task.crontab_id:
        return None
    try:
        cron = task.crontab.schedule
    except ValueError:  # a field beat cannot parse either (e.g. hour "25" saved by the ORM)
        return None
    if len(cron.day_of_month) < 31 or len(cron.month_of_year) < 12:
        return None
    times = sorted(
        day * 1440 + hour * 60 + minute
        for day in cron.day_of_week
        for hour in cron.hour
        for minute in cron.minute
    )
    if not times:
        return None
    gaps = [b - a for a, b in itertools.pairwise(times)]
    gaps.append(times[0] + WEEK_MINUTES - times[-1])  # from the week's last run to the next
    return timedelta(minutes=max(gaps))
