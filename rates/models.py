"""Koel's data: currencies, rate sources, and the partitioned history of exchange rates."""

import hashlib
import hmac
import json
import secrets

from django.db import models
from psqlextra.models import PostgresPartitionedModel
from psqlextra.types import PostgresPartitioningMethod

from rates.fields import ExactDecimalField


class CurrencyGroup(models.TextChoices):
    PRIMARY = "primary", "Primary"
    SECONDARY = "secondary", "Secondary"


class Currency(models.Model):
    """An ISO 4217 currency, with display metadata from CLDR (see rates/currency_data.py)."""

    code = models.CharField(max_length=3, primary_key=True, help_text="ISO 4217 code, e.g. USD.")
    name = models.CharField(max_length=80)
    name_plural = models.CharField(max_length=80)
    symbol = models.CharField(max_length=16, help_text="Symbol in English contexts, e.g. CA$.")
    symbol_native = models.CharField(max_length=16, help_text="Symbol at home, e.g. $ for CAD.")
    decimal_digits = models.PositiveSmallIntegerField(default=2)
    rounding = models.PositiveSmallIntegerField(
        default=0, help_text="CLDR rounding increment in units of the last digit (0 = none)."
    )
    icon = models.CharField(max_length=16, blank=True, help_text="Flag emoji or symbol.")
    group = models.CharField(
        max_length=10, choices=CurrencyGroup.choices, default=CurrencyGroup.SECONDARY
    )
    active = models.BooleanField(
        default=True, help_text="Inactive currencies keep their history but are not scraped."
    )
    admin_edited = models.BooleanField(
        default=False,
        help_text="Set when an admin changes this row; loading CLDR data then leaves it alone.",
    )

    class Meta:
        ordering = ["code"]
        verbose_name_plural = "currencies"
        indexes = [models.Index(fields=["group", "active"], name="currency_group_active")]

    def __str__(self) -> str:
        return f"{self.code} — {self.name}"


class SourceKind(models.TextChoices):
    MULTI_PAIR = "multi", "Multi-pair (one base, many targets per request)"
    SINGLE_PAIR = "single", "Single-pair (one pair per request)"


class Source(models.Model):
    """A place rates come from: a scraped website, an official feed, or an imported file."""

    code = models.SlugField(max_length=32, primary_key=True, help_text="Equals the spider's name.")
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=8, choices=SourceKind.choices, default=SourceKind.MULTI_PAIR)
    priority = models.PositiveSmallIntegerField(
        default=100, help_text="Lower is tried first and wins ties between equally fresh quotes."
    )
    enabled = models.BooleanField(default=True)
    base_url = models.URLField(
        max_length=300, blank=True, help_text="Overrides the spider's default site (tests, demos)."
    )
    homepage = models.URLField(max_length=300, blank=True)
    currencies = models.JSONField(
        default=list, blank=True, help_text="ISO codes this source quotes; empty means any."
    )
    politeness_delay = models.FloatField(
        default=1.2, help_text="Seconds between requests to this site (randomised around it)."
    )
    obey_robots_txt = models.BooleanField(
        default=True, help_text="Skip pages the site's robots.txt disallows for Koel's crawler."
    )
    # What the spider can do: facts refreshed from rates/data/sources.json on every set-up.
    bases = models.JSONField(
        default=list,
        blank=True,
        help_text="Bases it quotes (a central bank: its own currency); empty means any.",
    )
    verified = models.BooleanField(
        default=True, help_text="Its parser was built and tested against real captured responses."
    )
    note = models.TextField(
        blank=True, help_text="Why it is disabled or unverified, or what it needs to run."
    )
    api_key_setting = models.CharField(
        max_length=64,
        blank=True,
        help_text="Setting that holds its API key; the source is skipped while that is empty.",
    )
    # Health, written by the scrape manager after every attempt.
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_failure_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    attempts = models.PositiveIntegerField(default=0)
    successes = models.PositiveIntegerField(default=0)
    total_latency = models.FloatField(default=0.0, help_text="Seconds, summed over attempts.")
    circuit_open_until = models.DateTimeField(
        null=True,
        blank=True,
        help_text="While in the future, the circuit breaker skips this source (then one trial).",
    )

    class Meta:
        ordering = ["priority", "code"]

    def __str__(self) -> str:
        return self.code

    @property
    def success_rate(self) -> float | None:
        return self.successes / self.attempts if self.attempts else None

    @property
    def mean_latency(self) -> float | None:
        return self.total_latency / self.attempts if self.attempts else None


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


class RunStatus(models.TextChoices):
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    PARTIAL = "partial", "Partial (some bases or targets missing)"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Skipped (another run of the same scope was in progress)"


class ScrapeRun(models.Model):
    """One scrape of a group, a base or a source, with its live progress.

    The manager updates the row as it goes (bases done, rates stored, each source attempt), so
    the admin and the API show a run in flight, not only its result.
    """

    scope = models.CharField(max_length=16, help_text="group, base or source")
    target = models.CharField(max_length=32, help_text="The group name, base code or source code.")
    trigger = models.CharField(max_length=16, default="manual", help_text="beat, manual or api")
    status = models.CharField(max_length=12, choices=RunStatus.choices, default=RunStatus.RUNNING)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    bases_total = models.PositiveIntegerField(default=0)
    bases_done = models.PositiveIntegerField(default=0)
    rates_stored = models.PositiveIntegerField(default=0)
    rates_derived = models.PositiveIntegerField(default=0)
    rates_quarantined = models.PositiveIntegerField(default=0)
    attempts = models.JSONField(
        default=list,
        blank=True,
        help_text="Per source attempt: source, bases, outcome, rates, seconds, error.",
    )
    errors = models.JSONField(default=list, blank=True)
    task_id = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["scope", "target", "-started_at"], name="run_scope_recent")]

    def __str__(self) -> str:
        return f"{self.scope} {self.target} at {self.started_at:%Y-%m-%d %H:%M} ({self.status})"

    @property
    def duration(self) -> float | None:
        if self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


class QuarantineStatus(models.TextChoices):
    HELD = "held", "Held (not published)"
    RELEASED = "released", "Released (confirmed or approved, stored)"
    REJECTED = "rejected", "Rejected"


class QuarantinedRate(models.Model):
    """A scraped rate too far from the last stored rate of its pair to publish unchecked.

    Kept with the reason; published (stored as an ExchangeRate) when a second source confirms it
    or an admin approves it.
    """

    base = models.ForeignKey(Currency, on_delete=models.CASCADE, related_name="+")
    target = models.ForeignKey(Currency, on_delete=models.CASCADE, related_name="+")
    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="+")
    rate = ExactDecimalField()
    observed_at = models.DateTimeField()
    reference_rate = ExactDecimalField(
        help_text="The last stored rate of the pair it was held against."
    )
    reason = models.TextField()
    status = models.CharField(
        max_length=10, choices=QuarantineStatus.choices, default=QuarantineStatus.HELD
    )
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "base", "target"], name="quarantine_held_pair"),
        ]

    def __str__(self) -> str:
        return (
            f"1 {self.base_id} = {self.rate} {self.target_id} from {self.source_id} ({self.status})"
        )


class ApiKey(models.Model):
    """A key issued in the admin that lifts the anonymous rate limit.

    Only a SHA-256 hash is stored (keys are 32 random bytes, so a fast hash is enough); the key
    itself is shown once, when the admin creates it. The first characters are kept in clear as
    `prefix` to find the row and to tell keys apart in lists. Revoking keeps the row.
    """

    PREFIX_LENGTH = 8

    name = models.CharField(max_length=100, help_text="Who or what uses this key.")
    prefix = models.CharField(max_length=PREFIX_LENGTH, unique=True, editable=False)
    hashed_key = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(
        null=True, blank=True, help_text="Set to revoke the key; requests with it are refused."
    )

    class Meta:
        verbose_name = "API key"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @classmethod
    def issue(cls, name: str) -> tuple["ApiKey", str]:
        """Create a key; returns the row and the key, which is not stored anywhere."""
        raw = secrets.token_urlsafe(32)
        key = cls.objects.create(
            name=name, prefix=raw[: cls.PREFIX_LENGTH], hashed_key=_sha256(raw)
        )
        return key, raw

    @classmethod
    def find(cls, raw: str) -> "ApiKey | None":
        """The live key matching `raw`, or None (unknown, malformed or revoked)."""
        if not raw or len(raw) < cls.PREFIX_LENGTH or len(raw) > 200:
            return None
        key = cls.objects.filter(prefix=raw[: cls.PREFIX_LENGTH], revoked_at__isnull=True).first()
        if key is None or not hmac.compare_digest(key.hashed_key, _sha256(raw)):
            return None
        return key

    @classmethod
    def verify(cls, raw: str) -> bool:
        return cls.find(raw) is not None


def _sha256(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()
