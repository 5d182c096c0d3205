"""The live group: the pairs the live feed refreshes every tick and the monitor shows."""

from django.core.exceptions import ValidationError
from django.db import models


class LivePair(models.Model):
    """One pair of the live group (1 base = rate target), shown in `position` order. Migration
    0002 seeds the eight majors."""

    base = models.CharField(max_length=3)
    target = models.CharField(max_length=3)
    position = models.PositiveSmallIntegerField(default=0)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["base", "target"], name="livepair_unique"),
            models.CheckConstraint(
                condition=~models.Q(base=models.F("target")), name="livepair_two_currencies"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.base}/{self.target}"

    @property
    def pair(self) -> str:
        return f"{self.base}/{self.target}"

    def clean(self) -> None:
        from monitor.budget import live_set_refusal  # it reads this model
        from rates.reads import known_codes

        self.base, self.target = self.base.upper(), self.target.upper()
        known = known_codes({self.base, self.target})
        errors = {
            field: f"Unknown currency code: {code}"
            for field, code in (("base", self.base), ("target", self.target))
            if code not in known
        }
        if not errors and self.base == self.target:
            errors["target"] = "A pair needs two different currencies."
        if not errors and self._switched_on() and (refusal := live_set_refusal(adding=self)):
            errors["active"] = refusal
        if errors:
            raise ValidationError(errors)

    def _switched_on(self) -> bool:
        """Active now, and new or stored inactive: only that can break the budget (editing an
        active pair's position must not, even when a lowered budget is already exceeded)."""
        if not self.active:
            return False
        return self.pk is None or not LivePair.objects.filter(pk=self.pk, active=True).exists()


class FeedState(models.TextChoices):
    UP = "up", "up"
    DOWN = "down", "down"
    IDLE = "idle", "idle"


class LiveFeed(models.Model):
    """The live feed's state after its last tick: one row (`LiveFeed.current()`), written by
    monitor.ticks, shown in the admin and the live snapshot."""

    state = models.CharField(max_length=4, choices=FeedState.choices, default=FeedState.IDLE)
    reason = models.TextField(blank=True, help_text="Why the feed is down, or what it missed.")
    last_tick_at = models.DateTimeField(null=True, blank=True)
    source = models.CharField(
        max_length=40, blank=True, help_text="The source that answered most pairs last tick."
    )
    answered = models.PositiveSmallIntegerField(default=0, help_text="Pairs quoted last tick.")
    stored = models.PositiveIntegerField(default=0, help_text="Rows stored last tick.")
    seconds = models.FloatField(null=True, blank=True, help_text="How long the last tick took.")

    class Meta:
        verbose_name = "live feed state"
        verbose_name_plural = "live feed state"

    def __str__(self) -> str:
        return f"live feed {self.state}"

    @classmethod
    def current(cls) -> "LiveFeed":
        feed, _ = cls.objects.get_or_create(pk=1)
        return feed
