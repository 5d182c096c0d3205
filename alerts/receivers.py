"""Listens to rates: each committed write of rates queues one evaluation of the rules it may
have changed. rates.signals.rates_landed is sent after the commit, so a rolled-back write
never reaches here."""

from django.dispatch import receiver

from alerts.tasks import alerts_evaluate
from rates.signals import rates_landed


@receiver(rates_landed)
def rates_landed_evaluate(sender, *, source: str, changes: dict, **kwargs) -> None:
    codes = sorted({code for pair in changes for code in pair})
    alerts_evaluate.delay(codes)
