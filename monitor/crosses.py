"""The cross rates of one tick: every pair among the live currencies (28 for the eight majors'
eight currencies), computed from that tick's quotes alone and marked derived.

Each pair is named in market order (EUR, GBP, AUD, NZD, USD, CAD, CHF, then other currencies
alphabetically, JPY last), so the majors keep their usual names (EUR/USD, USD/JPY, EUR/GBP) and
the crosses theirs (GBP/JPY, AUD/NZD). A pair's rate is the product along the shortest chain of
the tick's quotes linking its two currencies (a quote used either way round): a pair quoted
itself this tick takes that quote; the others go through as few legs as the quotes allow.
"""

from collections import deque
from collections.abc import Iterable, Sequence
from decimal import Decimal
from itertools import combinations

from rates.reads import invert
from rates.reads.resolution import DERIVED
from rates.types import RateRow

MARKET_ORDER = ("EUR", "GBP", "AUD", "NZD", "USD", "CAD", "CHF")
LAST = "JPY"


def market_key(code: str) -> tuple[int, str]:
    if code in MARKET_ORDER:
        return MARKET_ORDER.index(code), code
    return (len(MARKET_ORDER) + 1, code) if code == LAST else (len(MARKET_ORDER), code)


def market_pairs(currencies: Iterable[str]) -> list[tuple[str, str]]:
    """Every pair of `currencies`, each named in market order."""
    return list(combinations(sorted(set(currencies), key=market_key), 2))


def cross_rows(quotes: Sequence[RateRow], currencies: Iterable[str]) -> list[RateRow]:
    """A derived row for each pair of `currencies` that the quotes link, observed at the
    oldest quote its chain used."""
    links: dict[str, list[tuple[str, RateRow, bool]]] = {}
    for quote in quotes:
        links.setdefault(quote.base, []).append((quote.target, quote, False))
        links.setdefault(quote.target, []).append((quote.base, quote, True))
    rows = []
    for base, target in market_pairs(currencies):
        chain = _chain(links, base, target)
        if chain is None:
            continue
        rate = Decimal(1)
        for quote, inverted in chain:
            rate = DERIVED.multiply(rate, invert(quote.rate) if inverted else quote.rate)
        when = min(quote.observed_at for quote, _ in chain)
        rows.append(RateRow(base, target, rate, when, derived=True))
    return rows


def _chain(links: dict, base: str, target: str) -> list[tuple[RateRow, bool]] | None:
    """The shortest chain of (quote, used inverted) from base to target (breadth first)."""
    came: dict[str, tuple[str, RateRow, bool] | None] = {base: None}
    queue = deque([base])
    while queue:
        code = queue.popleft()
        if code == target:
            chain = []
            while came[code] is not None:
                previous, quote, inverted = came[code]
                chain.append((quote, inverted))
                code = previous
            return chain[::-1]
        for neighbour, quote, inverted in links.get(code, ()):
            if neighbour not in came:
                came[neighbour] = (code, quote, inverted)
                queue.append(neighbour)
    return None
