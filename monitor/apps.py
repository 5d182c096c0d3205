from django.apps import AppConfig


class MonitorConfig(AppConfig):
    """Live monitoring of the major pairs: the live group's ticks, the push stream and analytics."""

    name = "monitor"
    verbose_name = "Live monitor"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from monitor import receivers  # noqa: F401  (connects the push stream's publishers)
