"""The rate of a pair, or of one base against many targets: latest or at an instant."""

from collections.abc import Sequence
from datetime import datetime

from rates.exceptions import RateNotFound
from rates.reads.catalog import active_codes, require_known, require_source
from rates.reads.checks import not_found_message, require_aware, require_pair
from rates.reads.instant import answers_at
from rates.reads.latest import latest_answers
from rates.types import RateAnswer


def rate_for(
    base: str, target: str, *, at: datetime | None = None, source: str | None = None
) -> RateAnswer:
    """THE rate of base→target: the latest (at=None) or the one in force at `at`.

    Raises InvalidQuery (same codes, a naive `at`), UnknownCurrency, RateNotFound."""
    require_pair(base, target)
    found = rates_for_base(base, targets=[target], at=at, source=source)
    if target not in found:
        raise RateNotFound(not_found_message(base, target, at))
    return found[target]


def rates_for_base(
    base: str,
    *,
    targets: Sequence[str] | None = None,
    at: datetime | None = None,
    source: str | None = None,
) -> dict[str, RateAnswer]:
    """{target: RateAnswer} of `base` against `targets` (None: every active currency), in the
    targets' order; targets nothing answers are absent (the caller compares with what it
    asked). Raises UnknownCurrency for a code Koel does not know.

    Codes are checked only when something is missing: a stored rate names known currencies."""
    if at is not None:
        require_aware(at, "at")
    asked = active_codes() if targets is None else list(dict.fromkeys(targets))
    wanted = [code for code in asked if code != base]
    if at is None:
        found = latest_answers(base=base, wanted=wanted, source=source)
    else:
        found = answers_at(base=base, wanted=wanted, at=at, source=source)
    if len(found) < len(wanted) or not found:
        require_known([base, *(t for t in wanted if t not in found)])
        require_source(source)
    return found
