"""The one way out: every reader (Koel's API, the converter page, the compatible layers, the
admin) asks these functions for rates; nothing else reads the rate tables.

Which quote wins — the one rule:

* **Latest** (`at=None`): the blend of the sources quoting the pair within its refresh window
  (each source's latest quote, the median, outliers out: rates.reads.blending); when no source
  quotes the pair itself, the blend of the sources' inverted quotes of the opposite pair (also
  when every source's own quote of the pair is dated, UTC day, before the newest quote of the
  opposite pair: the freshest evidence wins, the old quotes are listed as excluded; on the same
  day the pair's own quotes win); else a cross rate base→pivot × pivot→target
  through the first pivot (KOEL_PIVOT_CURRENCIES, in order) whose two legs are answered the
  same way. "Latest" is relative to the data held, never to today: an install whose sources
  stopped a month ago answers with the newest rates it holds (`newest_observation` says how
  new), and each answer's `refresh_window` says when it is stale.
* **At an instant** (`at=`): the observation in force then — the newest at or before `at` within
  KOEL_RATE_LOOKBACK_DAYS; at the same instant a quoted rate beats a derived one, then the source
  with the better priority — direct, else inverse, else cross via a pivot.
* `source=` pins one source: its own quotes, no cross rates.

Conversion is `convert(amount, answer)`: the answer's rate times the amount, rounded to the
target's minor unit (and CLDR rounding increment), halves away from zero. Amounts are applied to
an answer, never looked up: a cached answer serves every amount.

Modules: catalog (currencies, sources), observations (the loading queries), resolution (direct,
inverse, cross), blending, latest, instant, lookup (rate_for, rates_for_base), batch
(rates_for_bases: many bases at once), history, conversion, coverage, freshness (the admin
dashboard's counts), provenance (the sources behind a history).
"""

from rates.reads.batch import rates_for_bases, rates_for_bases_at
from rates.reads.catalog import (
    active_codes,
    currency_digits,
    currency_list,
    currency_names,
    known_codes,
    pivots,
    require_known,
    source_list,
)
from rates.reads.checks import require_aware
from rates.reads.conversion import (
    MAX_AMOUNT_DIGITS,
    apply_rate,
    check_amount,
    convert,
    round_amount,
)
from rates.reads.coverage import codes_with_rates, coverage_by_currency, currency_coverage
from rates.reads.freshness import DayCount, GroupNewest, group_newest, rates_per_day
from rates.reads.history import MAX_SPAN, history
from rates.reads.lookup import rate_for, rates_for_base
from rates.reads.observations import latest_observations, newest_observation
from rates.reads.provenance import history_sources
from rates.reads.resolution import invert, resolve
from rates.types import RateAnswer, SourceQuote

__all__ = [
    "MAX_AMOUNT_DIGITS",
    "MAX_SPAN",
    "DayCount",
    "GroupNewest",
    "RateAnswer",
    "SourceQuote",
    "active_codes",
    "apply_rate",
    "check_amount",
    "codes_with_rates",
    "convert",
    "coverage_by_currency",
    "currency_coverage",
    "currency_digits",
    "currency_list",
    "currency_names",
    "group_newest",
    "history",
    "history_sources",
    "invert",
    "known_codes",
    "latest_observations",
    "newest_observation",
    "pivots",
    "rate_for",
    "rates_for_base",
    "rates_for_bases",
    "rates_for_bases_at",
    "rates_per_day",
    "require_aware",
    "require_known",
    "resolve",
    "round_amount",
    "source_list",
]
