"""Periodic tasks in django-celery-beat, created on set-up and editable in the admin."""

import json

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
