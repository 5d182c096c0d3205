"""The latest rate of pairs from one base: blended where sources quote the pair, else the blend of
the inverse quotes, else a cross rate of two such legs through a pivot (rates.reads docstring).

At most two queries on rates_latestrates, whatever the number of targets: the rows of the base and
the pivots (direct quotes and the pivots' legs), then, only for targets no source quotes from the
base, those targets' rows (inverse quotes and legs to the pivots). For a few targets (a pair) both
are one query.
"""

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import replace
from functools import partial

from rates.reads.blending import blend, refresh_window
from rates.reads.catalog import pivots
from rates.reads.observations import Ranked, latest_quotes
from rates.reads.resolution import answer_pair, crossed, first_bases, invert, remembered
from rates.types import RateAnswer, SourceQuote

Quotes = Mapping[tuple[str, str], list[Ranked]]


def latest_answers(*, base: str, wanted: list[str], source: str | None) -> dict[str, RateAnswer]:
    """{target: RateAnswer} for the `wanted` targets something answers; `source` pins one
    source (its own quotes, no cross rates)."""
    hubs = [base] if source is not None else list(dict.fromkeys([base, *pivots()]))
    quotes: dict[tuple[str, str], list[Ranked]] = defaultdict(list)
    groups: dict[str, str] = {}
    read = first_bases(hubs, wanted)
    _gather(quotes, groups, bases=read, targets={base, *wanted, *hubs})
    unquoted = [t for t in wanted if t not in read and not _market(quotes.get((base, t)))]
    if unquoted:
        _gather(quotes, groups, bases=unquoted, targets=hubs)
    leg = remembered(partial(_leg, quotes, groups, source))
    via = () if source is not None else pivots()
    found = {}
    for target in wanted:
        answer = answer_pair(leg, base, target, via, cross=partial(_crossed, groups))
        if answer is not None:
            found[target] = answer
    return found


def _gather(quotes: dict, groups: dict, *, bases, targets) -> None:
    for ranked in latest_quotes(bases=bases, targets=targets, groups=groups):
        observation = ranked[0]
        quotes[(observation.base, observation.target)].append(ranked)


def _market(ranked: list[Ranked] | None) -> bool:
    return bool(ranked) and any(not observation.derived for observation, _ in ranked)


def _leg(quotes: Quotes, groups: dict, source: str | None, base: str, target: str):
    """The blend of base→target: each source's direct quote, else (when no source quotes the
    pair itself) its inverted quote of target→base."""
    offered: dict[str, SourceQuote] = {}
    direct = quotes.get((base, target), [])
    for o, _ in direct:
        offered[o.source] = SourceQuote(o.source, o.rate, o.observed_at, False, o.derived)
    if not _market(direct):
        for o, _ in quotes.get((target, base), []):
            inverse = SourceQuote(o.source, invert(o.rate), o.observed_at, True, o.derived)
            offered.setdefault(o.source, inverse)
    if source is not None:
        offered = {code: q for code, q in offered.items() if code == source}
    if not offered:
        return None
    window = refresh_window(groups.get(base), groups.get(target))
    return blend(base, target, list(offered.values()), window)


def _crossed(groups: dict, first: RateAnswer, second: RateAnswer, via: str) -> RateAnswer:
    answer = crossed(first, second, via)
    window = refresh_window(groups.get(answer.base), groups.get(answer.target))
    return replace(answer, refresh_window=window)
