"""What a spider saw, before the pipeline divides out its quoting unit."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from rates.types import RateRow

ONE = Decimal(1)


@dataclass(frozen=True, slots=True)
class RateItem:
    """`per` units of `base` = `rate` `target` at `observed_at`.

    `per` carries a site's quoting unit ("per 100 JPY"): RateNormalizePipeline divides it out so
    that Koel stores 1 base = rate target.
    """

    base: str
    target: str
    rate: Decimal
    observed_at: datetime
    per: Decimal = ONE

    def to_row(self) -> RateRow:
        rate = self.rate if self.per == ONE else self.rate / self.per
        return RateRow(base=self.base, target=self.target, rate=rate, observed_at=self.observed_at)
