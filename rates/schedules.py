"""Periodic tasks in django-celery-beat, created on set-up and editable in the admin."""

from django.db import transaction
from django_celery_beat.models import CrontabSchedule, PeriodicTask

# name -> (task, crontab fields in UTC, description)
SCHEDULES = {
    "koel: partition maintenance": (
        "rates.tasks.maintain_partitions",
        {"minute": "30", "hour": "0"},
        "Creates upcoming monthly partitions of the rate table and applies the retention.",
    ),
}


@transaction.atomic
def schedules_load() -> int:
    """Create the periodic tasks that do not exist yet; returns how many were created.

    Existing ones are left as they are, so an admin's change of time or enabled flag survives
    restarts. Tasks sharing a cadence share one CrontabSchedule row.
    """
    created = 0
    for name, (task, cron, description) in SCHEDULES.items():
        schedule, _ = CrontabSchedule.objects.get_or_create(
            **cron, day_of_week="*", day_of_month="*", month_of_year="*", timezone="UTC"
        )
        _, was_created = PeriodicTask.objects.get_or_create(
            name=name, defaults={"task": task, "crontab": schedule, "description": description}
        )
        created += was_created
    return created
