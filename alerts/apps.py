from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "alerts"
    verbose_name = "Rate alerts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from rates.metrics import collector_register

        from . import receivers, receivers_data  # noqa: F401  (listen to rates.signals.rates_landed)
        from .metrics import COLLECTOR

        collector_register(COLLECTOR)  # the alerts' figures on /metrics
