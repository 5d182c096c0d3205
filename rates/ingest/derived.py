"""Derived rates: the inverse or cross rate of a pair no source quoted, computed from the latest
quotes held and accepted like a scraped rate (validation, quarantine) under Koel's own source.

The scrape manager asks for them at the end of a run, for the pairs its sources left missing.
Derivation reads quotes only, never earlier derived rates: a cross rate stored by a previous run
would otherwise stand in as a "direct" quote and the pair would never move again.
"""

from collections.abc import Mapping, Sequence

from rates.ingest.acceptance import DERIVED_SOURCE, AcceptResult, rates_accept
from rates.reads import latest_observations, pivots, resolve
from rates.types import RatePath, RateRow


def rates_derive(*, missing: Mapping[str, Sequence[str]]) -> AcceptResult:
    """Derive and accept a rate for each {base: [targets]} of `missing` that an inverse or a
    cross rate through a pivot (KOEL_PIVOT_CURRENCIES) can give; the others are left out."""
    return rates_accept(source=DERIVED_SOURCE, rows=derived_rows(missing=missing))


def derived_rows(*, missing: Mapping[str, Sequence[str]]) -> list[RateRow]:
    """The inverse or cross rate of each missing pair, from the latest quotes held."""
    through = pivots()
    codes = set(missing) | {t for targets in missing.values() for t in targets} | set(through)
    found = latest_observations(bases=codes, targets=codes)
    quotes = {pair: observation for pair, observation in found.items() if not observation.derived}
    rows = []
    for base, targets in sorted(missing.items()):
        for target in sorted(targets):
            quote = resolve(quotes, base, target, through)
            # A direct quote means a source has the pair after all: nothing to derive.
            if quote is not None and quote.path is not RatePath.DIRECT:
                rows.append(RateRow(base, target, quote.rate, quote.observed_at, derived=True))
    return rows
