"""What scraping did: scrape runs with their live progress, and rates the quarantine holds."""

from django.db import models

from rates.fields import ExactDecimalField

from .catalog import Currency, Source


class RunStatus(models.TextChoices):
    QUEUED = "queued", "Queued (waiting for a worker)"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    PARTIAL = "partial", "Partial (some bases or targets missing)"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Skipped (another run of the same scope was in progress)"


class ScrapeRun(models.Model):
    """One scrape of a group, a base or a source, with its live progress.

    The manager updates the row as it goes (bases done, rates stored, each source attempt), so
    the admin and the API show a run in flight, not only its result. A run started from the
    admin exists before its task does (queued, under the task id it is sent with), so the admin
    can be shown its page at once; the task adopts that row when it starts.
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
    worker = models.CharField(
        max_length=300,
        blank=True,
        help_text="host:pid of the process running it; a sweep closes the run once that is gone.",
    )

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
    """A scraped or derived rate too far from the last stored rate of its pair to publish unchecked.

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
