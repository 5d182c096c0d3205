from django.apps import AppConfig
from django.db.models.signals import post_migrate


class MonitorConfig(AppConfig):
    """Live monitoring of the major pairs: the live group's ticks, the push stream and analytics."""

    name = "monitor"
    verbose_name = "Live monitor"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from monitor import receivers  # noqa: F401  (connects the push stream's publishers)

        # The live schedules are created at migrate time, which `make run` and bootstrap run
        # first: rates' bootstrap command cannot name them (rates never imports monitor).
        post_migrate.connect(_schedules_after_migrate, sender=self)


def _schedules_after_migrate(sender, using: str = "default", **kwargs) -> None:
    from django.db import connections
    from django_celery_beat.models import PeriodicTask

    from monitor.schedule import live_schedules_load

    # A partial migrate (`migrate monitor` on an empty database) may not have beat's tables yet.
    if PeriodicTask._meta.db_table in connections[using].introspection.table_names():
        live_schedules_load(using=using)
