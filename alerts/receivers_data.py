"""Listens to rates for data webhooks. rates.signals.rates_landed is sent after the write
commits, so a rolled-back write never sends one."""

from django.dispatch import receiver

from alerts import subscription_tasks  # noqa: F401  (registers data_delivery_send with Celery)
from alerts.subscriptions import data_deliveries_create
from rates.signals import rates_landed


@receiver(rates_landed)
def rates_landed_notify(sender, *, source: str, changes: dict, **kwargs) -> None:
    data_deliveries_create(source=source, changes=changes)
