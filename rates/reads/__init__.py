"""The one way out: every reader (Koel's API, the converter page, the compatible layers, the
admin) asks these functions for rates, and nothing else reads the rate tables.

Which quote wins:

* **Latest** (`at=None`): the blend of the sources quoting the pair within its refresh window
  (the median, outliers out; see rates.reads.blending), else the inverse of the blend of the
  opposite pair, else a cross rate through the first pivot (KOEL_PIVOT_CURRENCIES) whose two legs
  are answered. "Latest" is relative to the data held, never to today: an install whose sources
  stopped a month ago answers with the newest rates it has (see `newest_observation`).
* **At an instant** (`at=`): the observation in force then, i.e. the newest at or before `at`
  within KOEL_RATE_LOOKBACK_DAYS, a quoted rate beating a derived one at the same instant, then
  the source with the better priority; direct, else inverse, else cross via a pivot.
* `source=` pins one source: its own quote, no blending and no derivation.

Conversion is `convert(amount, answer)`: the answer's rate times the amount, rounded to the
target's minor unit (and CLDR rounding increment), halves away from zero.
"""

from rates.reads.api import (
    MAX_AMOUNT_DIGITS,
    active_codes,
    convert,
    currency_coverage,
    currency_digits,
    currency_list,
    currency_names,
    history,
    known_codes,
    latest_observations,
    newest_observation,
    pivots,
    rate_for,
    rates_for_base,
    require_known,
    round_amount,
    source_list,
)
from rates.reads.resolution import resolve
from rates.types import RateAnswer, SourceQuote

__all__ = [
    "MAX_AMOUNT_DIGITS",
    "RateAnswer",
    "SourceQuote",
    "active_codes",
    "convert",
    "currency_coverage",
    "currency_digits",
    "currency_list",
    "currency_names",
    "history",
    "known_codes",
    "latest_observations",
    "newest_observation",
    "pivots",
    "rate_for",
    "rates_for_base",
    "require_known",
    "resolve",
    "round_amount",
    "source_list",
]
