"""The latest rate of pairs from one base: blended where sources quote the pair, else the blend of
the inverse quotes, else a cross rate of two such legs through a pivot (rates.reads docstring).

The freshest evidence wins: when every source's own quote of a pair is dated (UTC day) before
the newest quote of the opposite pair, the opposite pair's quotes answer it, and the old ones
are listed as excluded; on the same day the pair's own quotes win. A pair (a few targets) and
many bases at once read both directions of every pair anyway; a whole base reads the opposite
rows only of the targets that can need them (below).

At most two queries on rates_latestrates, whatever the number of targets: the base's rows (its
direct quotes, and its legs to the pivots) with the newest observation held of any base, then,
only for targets no source quotes from the base or quotes only on a day before that newest
observation's, those targets' rows (inverse quotes, legs to the pivots) and,
for the unquoted ones, the pivots' quotes of them (the other legs). A base every source quotes
in full and in time is one query. For a few targets (a pair) the rows of the base, the pivots
and the targets are read at once: one query, whatever path answers.
"""

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from functools import partial

from rates.reads.blending import blend, window_rule
from rates.reads.catalog import pivots
from rates.reads.observations import latest_rows, latest_rows_newest
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
Pair = tuple[str, str]


@dataclass
class Held:
    """What the reads gathered: each stored pair's quotes; `market`: the newest observed_at of
    the sources' own quotes (not Koel's derived fills) of each pair some source quotes; the
    groups of the currencies met."""

    quotes: defaultdict[Pair, list[Quote]] = field(default_factory=lambda: defaultdict(list))
    market: dict[Pair, datetime] = field(default_factory=dict)
    groups: dict[str, str] = field(default_factory=dict)

    def read(self, blocks: Sequence) -> None:
        """The quotes of latest_rows(blocks), in one query, added to those held."""
        self.add(latest_rows(blocks))

    def add(self, rows: Iterable[tuple]) -> None:
        quotes, market, groups = self.quotes, self.market, self.groups
        for b, t, rate, when, derived, source, _priority, base_group, target_group in rows:
            quotes[(b, t)].append((rate, when, derived, source))
            groups[b], groups[t] = base_group, target_group
            if not derived and ((b, t) not in market or when > market[(b, t)]):
                market[(b, t)] = when


def latest_answers(*, base: str, wanted: list[str], source: str | None) -> dict[str, RateAnswer]:
    """{target: RateAnswer} for the `wanted` targets something answers; `source` pins one
    source (its own quotes, no cross rates)."""
    via = () if source is not None else pivots()
    hubs = list(dict.fromkeys([base, *via]))
    held, window, first = Held(), window_rule(), {base, *wanted, *hubs}
    if len(wanted) <= FEW_TARGETS:  # every row any path needs, both directions of each pair
        read, newest = first_bases(hubs, wanted), None
        held.read([(read, first)])
    else:  # the base's own rows first; the targets' and pivots' only for those that need them
        read = [base]
        rows, newest = latest_rows_newest([(read, first)])
        held.add(rows)
    unread = [t for t in wanted if t not in read]
    unquoted = [t for t in unread if (base, t) not in held.market]
    dated = _dated(held, base, unread, newest)
    if unquoted or dated:
        blocks = [([*unquoted, *dated], hubs)]
        if unquoted and (others := [p for p in via if p not in read]):
            blocks.append((others, {base, *unquoted}))
        held.read(blocks)
    leg = remembered(partial(_leg, held, window, source))
    cross = partial(_crossed, held.groups, window)
    found = {}
    for target in wanted:
        answer = answer_pair(leg, base, target, via, cross=cross)
        if answer is not None:
            found[target] = answer
    return found


def _dated(held: Held, base: str, targets: Iterable[str], newest) -> list[str]:
    """The targets quoted from `base` only on a day before `newest`'s (no quote of any pair is
    newer): only their opposite quotes can answer instead (`_superseded`)."""
    if newest is None:
        return []
    day = datetime.combine(newest.astimezone(UTC).date(), time.min, tzinfo=UTC)
    market = held.market
    return [
        target
        for target in targets
        if (quoted := market.get((base, target))) is not None and quoted < day
    ]


def _leg(held: Held, window, source, base: str, target: str):
    """The blend of base→target: each source's direct quote, else (when no source quotes the
    pair itself) its inverted quote of target→base. When the pair's own quotes are superseded
    (`_superseded`; not for a pinned source: its own quote), they are listed as excluded and
    the inverted quotes offered (a source's newer one in place of its own)."""
    offered: dict[str, SourceQuote] = {}
    for rate, when, derived, code in held.quotes.get((base, target), ()):
        offered[code] = SourceQuote(code, rate, when, False, derived)
    opposite = held.quotes.get((target, base))
    if opposite and (base, target) not in held.market:
        _offer_inverted(offered, opposite, newer_only=False)
    elif opposite and source is None and (newer := _superseded(held, base, target)):
        reason = f"dated before the opposite pair's quotes of {newer:%Y-%m-%d}"
        offered = {code: _excluded(quote, reason) for code, quote in offered.items()}
        _offer_inverted(offered, opposite, newer_only=True)
    if source is not None:
        offered = {code: q for code, q in offered.items() if code == source}
    if not offered:
        return None
    return blend(
        base, target, list(offered.values()), window(*map(held.groups.get, (base, target)))
    )


def _superseded(held: Held, base: str, target: str) -> date | None:
    """The UTC day of the newest quote of target→base when the sources' own quotes of
    base→target are all dated before it, else None (on the same day the direct quotes win).
    Koel's derived fills count on neither side."""
    opposite = held.market.get((target, base))
    quoted = held.market[(base, target)]
    if opposite is None or quoted >= opposite:
        return None
    newer = opposite.astimezone(UTC).date()
    return newer if quoted.astimezone(UTC).date() < newer else None


def _excluded(quote: SourceQuote, reason: str) -> SourceQuote:
    return SourceQuote(
        quote.source, quote.rate, quote.observed_at, quote.inverse, quote.derived, True, reason
    )


def _offer_inverted(offered: dict, opposite: Iterable[Quote], *, newer_only: bool) -> None:
    """Each source's inverted quote where it has none offered (or, `newer_only`, where the one
    offered is older)."""
    for rate, when, derived, code in opposite:
        mine = offered.get(code)
        if mine is None or (newer_only and mine.observed_at < when):
            offered[code] = SourceQuote(code, invert(rate), when, True, derived)


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
    held, window = Held(), window_rule()
    read = both_ways(pairs)
    held.read(_pair_blocks(read))
    leg = remembered(partial(_leg, held, window, None))
    if unanswered := [pair for pair in pairs if leg(*pair) is None]:
        # Legs not read yet, so none was computed (and remembered) without its quotes.
        held.read(_pair_blocks(pivot_legs(unanswered, via) - read))
    cross = partial(_crossed, held.groups, window)
    found = {}
    for base, targets in wanted.items():
        answers = found[base] = {}
        for target in targets:
            answer = answer_pair(leg, base, target, via, cross=cross)
            if answer is not None:
                answers[target] = answer
    return found


def _pair_blocks(pairs: Iterable[Pair]) -> list[tuple[list[str], set[str]]]:
    """The pairs as latest_rows blocks: each base with the targets wanted of it."""
    targets: dict[str, set[str]] = defaultdict(set)
    for base, target in pairs:
        targets[base].add(target)
    return [([base], wanted) for base, wanted in targets.items()]
