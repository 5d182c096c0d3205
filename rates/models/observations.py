"""The rates themselves: the partitioned history of observations, its read model of "latest",
and the unmanaged view of the same table the admin lists."""

import json

from django.db import models
from psqlextra.models import PostgresPartitionedModel
from psqlextra.types import PostgresPartitioningMethod

from rates.fields import ExactDecimalField

from .catalog import Currency, Source


class ExchangeRate(PostgresPartitionedModel):
    """One observation: 1 `base` = `rate` `target` at `observed_at`, as reported by `source`.

    Monthly RANGE partitions on observed_at (rates/ingest/partitions.py). The primary key is the
    natural key; PostgreSQL requires the partition key in it, and its column order (base, target,
    observed_at, source) makes the one index serve both "latest for a pair" and "range for a pair".
    """

    class PartitioningMeta:
        method = PostgresPartitioningMethod.RANGE
        key = ["observed_at"]

    pk = models.CompositePrimaryKey("base", "target", "observed_at", "source")
    # No per-column indexes (the primary key leads with base) and no database-level foreign keys:
    # rates_upsert, the only writer, checks every code, and three trigger checks per row would
    # dominate bulk ingest. Django still enforces PROTECT when a currency or source is deleted.
    base = models.ForeignKey(
        Currency, on_delete=models.PROTECT, related_name="+", db_index=False, db_constraint=False
    )
    target = models.ForeignKey(
        Currency, on_delete=models.PROTECT, related_name="+", db_index=False, db_constraint=False
    )
    observed_at = models.DateTimeField()
    source = models.ForeignKey(
        Source, on_delete=models.PROTECT, related_name="+", db_index=False, db_constraint=False
    )
    rate = ExactDecimalField(help_text="1 base = rate target, exactly as the source gave it.")
    derived = models.BooleanField(
        default=False, help_text="A cross rate Koel computed, not a quote from the source."
    )

    def __str__(self) -> str:
        return (
            f"1 {self.base_id} = {self.rate} {self.target_id} ({self.source_id} {self.observed_at})"
        )


class LatestRates(models.Model):
    """One source's newest rate for every target of one base: the read model of "latest".

    One row per (base, source), its `quotes` a JSON object {target: [rate, observed_at, derived]}
    with the rate as a decimal string (exact) and observed_at in ISO 8601 with its offset. A full
    scrape updates 155 rows here rather than 23,870 per-pair rows (which cost more than the
    scrape's own COPY), and a "latest" read is one index lookup per base instead of a probe into
    every partition (the DEFAULT partition defeats ordered appends). Written by
    rates.ingest.services only.
    """

    base = models.ForeignKey(
        Currency, on_delete=models.CASCADE, related_name="+", db_index=False
    )  # the unique constraint below leads with base
    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="+")
    # JSON kept as text: the write path builds it in Python (a jsonb column would make the
    # server parse ~1 MB per scrape), and readers parse the few rows they fetch.
    quotes = models.TextField(help_text='JSON: {target: ["rate", "observed_at", derived]}')
    newest = models.DateTimeField(
        help_text="The newest observed_at this source ever gave for this base (the write "
        "service's fast path relies on it: a batch strictly newer cannot collide)."
    )

    class Meta:
        verbose_name = "latest rates"
        verbose_name_plural = "latest rates"
        constraints = [
            models.UniqueConstraint(fields=["base", "source"], name="latest_rates_base_source")
        ]
        # The whole-base read asks for the newest observation of any base (rates.reads): an
        # index-only scan of one entry instead of reading every row (~0.17 ms at 1,560 rows).
        indexes = [models.Index(fields=["newest"], name="latest_rates_newest")]

    def __str__(self) -> str:
        return f"{self.base_id} from {self.source_id}"

    @property
    def quote_map(self) -> dict[str, list]:
        return json.loads(self.quotes)


class ExchangeRateRecord(models.Model):
    """Read-only view of ExchangeRate rows for the admin.

    Django 5.2's admin refuses models with a composite primary key, so the admin lists the same
    table through this unmanaged model. observed_at stands in as the primary key only because
    Django needs one; the admin never loads a row by it (no change links, no edits).
    """

    base = models.ForeignKey(Currency, on_delete=models.DO_NOTHING, related_name="+")
    target = models.ForeignKey(Currency, on_delete=models.DO_NOTHING, related_name="+")
    source = models.ForeignKey(Source, on_delete=models.DO_NOTHING, related_name="+")
    rate = ExactDecimalField()
    observed_at = models.DateTimeField(primary_key=True)
    derived = models.BooleanField()

    class Meta:
        managed = False
        db_table = "rates_exchangerate"
        verbose_name = "exchange rate"
        ordering = ["-observed_at"]

    def __str__(self) -> str:
        return (
            f"1 {self.base_id} = {self.rate} {self.target_id} ({self.source_id} {self.observed_at})"
        )
