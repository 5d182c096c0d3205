"""The latest rate of pairs from one base: blended where sources quote the pair, else the blend of
the inverse quotes, else a cross rate of two such legs through a pivot (rates.reads docstring).

At most two queries on rates_latestrates, whatever the number of targets: the base's rows (its
direct quotes, and its legs to the pivots), then, only for targets no source quotes from the base,
those targets' rows (inverse quotes, legs to the pivots) and the pivots' quotes of them (the
other legs). A base every source quotes in full is one query. For a few targets (a pair) the
rows of the base, the pivots and the targets are read at once: one query, whatever path answers.
"""

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from functools import partial

from rates.reads.blending import blend, window_rule
from rates.reads.catalog import pivots
from rates.reads.observations import latest_rows
from rates.reads.resolution import (
    FEW_TARGETS,
    answer_pair,
    both_ways,
    crossed,
    first_bases,
    invert,
    pivot_legs,
    remembered,
)
from rates.types import RateAnswer, SourceQuote

Quote = tuple  # (rate, observed_at, derived, source) of one source's latest quote of a pair
Quotes = Mapping[tuple[str, str], list[Quote]]


def latest_answers(*, base: str, wanted: list[str], source: str | None) -> dict[str, RateAnswer]:
    """{target: RateAnswer} for the `wanted` targets something answers; `source` pins one
    source (its own quotes, no cross rates)."""
    via = () if source is not None else pivots()
    hubs = list(dict.fromkeys([base, *via]))
    # Many targets: the base's own rows first; the pivots' only if some target needs a cross.
    read = first_bases(hubs, wanted) if len(wanted) <= FEW_TARGETS else [base]
    groups: dict[str, str] = {}
    market: set[tuple[str, str]] = set()
    quotes = _gathered(groups, market, [(read, {base, *wanted, *hubs})])
    unquoted = [t for t in wanted if t not in read and (base, t) not in market]
    if unquoted:
        blocks = [(unquoted, hubs)]
        if others := [p for p in via if p not in read]:
            blocks.append((others, {base, *unquoted}))
        for pair, found in _gathered(groups, market, blocks).items():
            quotes[pair].extend(found)
    window = window_rule()
    leg = remembered(partial(_leg, quotes, market, groups, window, source))
    cross = partial(_crossed, groups, window)
    found = {}
    for target in wanted:
        answer = answer_pair(leg, base, target, via, cross=cross)
        if answer is not None:
            found[target] = answer
    return found


def _gathered(groups: dict, market: set, blocks: Sequence) -> defaultdict:
    """Each stored pair's quotes, from one query. The groups of the currencies met go to
    `groups`, the pairs some source quotes itself (not only Koel's derived fills) to `market`."""
    quotes: defaultdict[tuple[str, str], list[Quote]] = defaultdict(list)
    for b, t, rate, when, derived, source, _priority, base_group, target_group in latest_rows(
        blocks
    ):
        quotes[(b, t)].append((rate, when, derived, source))
        groups[b], groups[t] = base_group, target_group
        if not derived:
            market.add((b, t))
    return quotes


def _leg(quotes: Quotes, market: set, groups: dict, window, source, base: str, target: str):
    """The blend of base→target: each source's direct quote, else (when no source quotes the
    pair itself) its inverted quote of target→base."""
    offered: dict[str, SourceQuote] = {}
    for rate, when, derived, code in quotes.get((base, target), ()):
        offered[code] = SourceQuote(code, rate, when, False, derived)
    if (base, target) not in market:
        for rate, when, derived, code in quotes.get((target, base), ()):
            if code not in offered:
                offered[code] = SourceQuote(code, invert(rate), when, True, derived)
    if source is not None:
        offered = {code: q for code, q in offered.items() if code == source}
    if not offered:
        return None
    return blend(base, target, list(offered.values()), window(groups.get(base), groups.get(target)))


def _crossed(groups: dict, window, first: RateAnswer, second: RateAnswer, via: str) -> RateAnswer:
    refresh = window(groups.get(first.base), groups.get(second.target))
    return crossed(first, second, via, refresh)


def latest_answers_many(wanted: Mapping[str, Sequence[str]]) -> dict[str, dict[str, RateAnswer]]:
    """{base: {target: RateAnswer}} for many bases at once, in at most two queries whatever their
    number: the quotes of every wanted pair both ways, then, only for pairs those leave
    unanswered, both ways of their legs through the pivots. Each answer is the one
    `latest_answers` gives (the same legs, blends and crosses): a cross rate is used only when
    no source quotes the pair either way, so the second read changes no answer of the first."""
    via = pivots()
    pairs = [(base, target) for base, targets in wanted.items() for target in targets]
    groups: dict[str, str] = {}
    market: set[tuple[str, str]] = set()
    read, window = both_ways(pairs), window_rule()
    quotes = _gathered(groups, market, _pair_blocks(read))
    leg = remembered(partial(_leg, quotes, market, groups, window, None))
    if unanswered := [pair for pair in pairs if leg(*pair) is None]:
        # Legs not read yet, so none was computed (and remembered) without its quotes.
        legs = _pair_blocks(pivot_legs(unanswered, via) - read)
        for pair, found in _gathered(groups, market, legs).items():
            quotes[pair].extend(found)
    cross = partial(_crossed, groups, window)
    found = {}
    for base, targets in wanted.items():
        answers = found[base] = {}
        for target in targets:
            answer = answer_pair(leg, base, target, via, cross=cross)
            if answer is not None:
                answers[target] = answer
    return found


def _pair_blocks(pairs: Iterable[tuple[str, str]]) -> list[tuple[list[str], set[str]]]:
    """The pairs as latest_rows blocks: each base with the targets wanted of it."""
    targets: dict[str, set[str]] = defaultdict(set)
    for base, target in pairs:
        targets[base].add(target)
    return [([base], wanted) for base, wanted in targets.items()]
