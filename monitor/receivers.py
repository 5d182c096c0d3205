"""Listens to rates and alerts: each committed write of rates and each committed batch of alert
firings is published to the push stream. Both signals are sent after the commit, so a
rolled-back write never reaches a subscriber."""

from django.dispatch import receiver

from alerts.signals import firings_announced
from monitor.stream.events import firing_event, rate_event
from monitor.stream.publish import events_publish
from rates.signals import rates_landed


@receiver(rates_landed)
def rates_landed_publish(sender, *, source: str, changes: dict, **kwargs) -> None:
    events_publish(rate_event(row, source) for row in changes.values())


@receiver(firings_announced)
def firings_publish(sender, *, firings: list, **kwargs) -> None:
    events_publish(firing_event(firing) for firing in firings)
