"""Hourly bars: what remains of sub-daily ticks once they are older than their retention."""

from django.db import models

from rates.fields import ExactDecimalField

from .catalog import Currency, Source


class HourlyBar(models.Model):
    """One hour of one source's ticks of a pair, folded (rates.ingest.folding): open is the
    hour's first tick, close its last, high and low the extremes, `ticks` how many there were.
    The close stays in the rate table too (as the hour's one observation), so history reads keep
    their shape; the bars keep the hour's range."""

    base = models.ForeignKey(Currency, on_delete=models.PROTECT, related_name="+", db_index=False)
    target = models.ForeignKey(Currency, on_delete=models.PROTECT, related_name="+")
    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="+")
    hour = models.DateTimeField(help_text="The start of the hour (UTC).")
    open = ExactDecimalField()
    high = ExactDecimalField()
    low = ExactDecimalField()
    close = ExactDecimalField()
    ticks = models.PositiveIntegerField()
    first_at = models.DateTimeField(help_text="When the open was observed.")
    last_at = models.DateTimeField(help_text="When the close was observed.")
    derived = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["base", "target", "source", "hour"], name="hourly_bar_unique"
            )
        ]
        ordering = ["base", "target", "source", "hour"]

    def __str__(self) -> str:
        return f"{self.base_id}/{self.target_id} {self.source_id} {self.hour:%Y-%m-%d %H}h"
