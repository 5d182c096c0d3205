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
        if errors:
            raise ValidationError(errors)
