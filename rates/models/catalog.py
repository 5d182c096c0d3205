"""What Koel knows rates of and where they come from: currencies and sources."""

from django.db import models


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
