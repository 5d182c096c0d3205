"""Frankfurter v1 (frozen upstream): the ECB's euro reference rates, other bases through EUR.

Follows lib/versions/v1/ of lineofflight/frankfurter: a day's answer is each currency's newest
ECB rate within the 14 days up to that day (so a weekend asks for Friday's, and a date up to 14
days past the last publication gets the latest rates; later ones 404), amounts and rebased rates
are rounded by magnitude (ruby.round_rate), the base is left out of the rates, and errors are
{"message": …}: 422 for a bad amount, date or pair, 404 when nothing answers. Unknown query
parameters are ignored, as Frankfurter does.

Where Koel differs: /latest and /currencies are as of the newest ECB rates held, not of today
(data.latest_anchor), so an install that stopped scraping still answers its last rates with
their date; and an amount is applied per request to rows cached without it.
"""

import hashlib
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import partial

from django.http import HttpRequest, HttpResponse

from rates.http.caching import Answer, cached_answer

from ..http import cached_value, uncached_answer
from . import data, meta
from .blend import LOOKBACK_DAYS, Row, carry_forward, shift
from .http import codes, error, last_values, ok, read_only
from .ruby import RubyError, add_months, parse_date, round_rate, split, to_f

EUR = "EUR"
NOT_FOUND = {"message": "not found"}
MAX_RANGE_YEARS, MAX_RANGE_SYMBOLS = 5, 5
RANGE_COST = (
    "date range exceeds 5 years; filter with symbols= (5 currencies or fewer), or split the "
    "range into shorter requests"
)
LATEST = object()  # the date of /latest, resolved when an answer is built (it reads the data)
ROOT = {
    "version": "v1",
    "status": "frozen",
    "openapi": "https://api.frankfurter.dev/v1/openapi.json",
    "docs": "https://frankfurter.dev",
}


@dataclass(frozen=True)
class Query:
    amount: float
    base: str
    given_base: str | None  # None when neither base nor from was sent
    symbols: list[str] | None

    @property
    def should_round(self) -> bool:
        return self.amount != 1.0 or self.base != EUR

    @property
    def codes(self) -> list[str] | None:
        """Frankfurter's `only(*symbols, base)`: the quotes read, when symbols narrow them."""
        return None if self.symbols is None else [*self.symbols, self.base]


def parse(params: dict[str, str], *dates: str) -> tuple[Query, list[date]]:
    """Query.build: amount, then the dates, then the pair; raises RubyError with its message."""
    amount = 1.0
    if "amount" in params:
        amount = to_f(params["amount"])
        if not amount > 0:
            raise RubyError("invalid amount")
    base = _first(params, "from", "base")
    symbols = _first(params, "to", "symbols")
    days = [parse_date(day) for day in dates]
    query = Query(
        amount=amount,
        base=base.upper() if base is not None else EUR,
        given_base=base.upper() if base is not None else None,
        symbols=split(symbols.upper()) if symbols is not None else None,
    )
    if [query.given_base] == query.symbols:
        raise RubyError("bad currency pair")
    return query, days


def _first(params: dict[str, str], *names: str) -> str | None:
    return next((params[name] for name in names if name in params), None)


def day_rows(query: Query, day: date) -> list[Row]:
    """The ECB rows a day's answer is made of: each currency's newest within 14 days."""
    rows = data.ecb_rows(shift(day, -LOOKBACK_DAYS), day, query.codes)
    return carry_forward(rows, day)


def _check_range_cost(query: Query, start: date, end: date) -> None:
    """Upstream serves a daily range of any length; Koel builds each one live, and a century of
    every currency took 3 s (issue 13), again for every other start date. Past 5 years a range
    must name 5 currencies or fewer (v2's rule for the ranges Frankfurter builds live)."""
    if query.symbols is not None and len(set(query.symbols)) <= MAX_RANGE_SYMBOLS:
        return
    if min(end, data.today()) > add_months(start, MAX_RANGE_YEARS * 12):
        raise RubyError(RANGE_COST)


def day_payload(query: Query, rows: list[Row]) -> dict | None:
    result = _rebased(_prepared(rows, query), query)
    if not result:
        return None
    # Carry-forward can mix days (a currency the ECB stopped quoting): the newest day answers.
    newest = max(result)
    return {
        "amount": query.amount,
        "base": query.base,
        "date": newest.isoformat(),
        "rates": result[newest],
    }


def range_rows(query: Query, start: date, end: date) -> list[Row] | None:
    """The ECB rows of a range, from the newest publication on or before its start."""
    if start > data.today():
        return None
    _check_range_cost(query, start, end)
    first = data.ecb_day_on_or_before(start) or start
    return data.ecb_rows(first, end, query.codes)


def range_payload(query: Query, rows: list[Row]) -> dict | None:
    result = _rebased(_prepared(rows, query), query)
    if not result:
        return None
    days = sorted(result)
    return {
        "amount": query.amount,
        "base": query.base,
        "start_date": days[0].isoformat(),
        "end_date": days[-1].isoformat(),
        "rates": {day.isoformat(): result[day] for day in days},
    }


@dataclass(frozen=True)
class Reading:
    """An answer in two steps: the rows it reads (the same for every amount), then the payload
    those rows give for the query's amount."""

    rows: Callable[..., list[Row] | None]  # (query, *days); None: nothing to read
    payload: Callable[[Query, list[Row]], dict | None]  # None: not found


END_OF_DAY = Reading(day_rows, day_payload)
INTERVAL = Reading(range_rows, range_payload)


def _prepared(rows: list[Row], query: Query) -> dict[date, dict]:
    result: dict[date, dict] = {}
    for row in sorted(rows, key=lambda r: (r.date, r.quote)):
        value = query.amount * row.rate
        result.setdefault(row.date, {})[row.quote] = (
            round_rate(value) if query.should_round else value
        )
    return result


def _rebased(result: dict[date, dict], query: Query) -> dict[date, dict]:
    """Quote.rebase_rates: through the euro (1 EUR = amount), the base itself removed."""
    if query.base == EUR:
        return result
    for day, rates in list(result.items()):
        if query.symbols is None or EUR in query.symbols:
            rates[EUR] = query.amount
        divisor = rates.pop(query.base, None)
        if divisor is None or not rates:
            del result[day]
            continue
        result[day] = {
            quote: round_rate(_divide(query.amount * rate, divisor))
            for quote, rate in sorted(rates.items())
        }
    return result


def _divide(a: float, b: float) -> float:
    """IEEE division, as Ruby's Float#/ (x/0.0 is ±Infinity or NaN, not an exception)."""
    if b:
        return a / b
    if math.isnan(a) or a == 0.0:
        return math.nan
    return math.copysign(math.inf, a) * math.copysign(1.0, b)


def currencies() -> dict[str, str]:
    """The currencies of the latest answer, with the money gem's names."""
    anchor = _latest_day()
    rows = carry_forward(data.ecb_rows(shift(anchor, -LOOKBACK_DAYS), anchor), anchor)
    if not rows:
        return {}
    found = sorted({row.quote for row in rows} | {EUR})
    koel = meta.koel_currencies(found)
    return {code: meta.name_of(code, koel) for code in found}


def _answer(request: HttpRequest, reading: Reading, *dates: str) -> HttpResponse:
    params = last_values(request)
    base = (params.get("from") or params.get("base") or EUR).upper()
    symbols = split((params.get("to") or params.get("symbols") or "").upper())
    depends_on = codes(EUR, base, *symbols)
    if "amount" not in params:
        build = partial(_build, params, dates, reading.rows, reading.payload)
        return cached_answer(request, build, depends_on=depends_on, vary=_today_vary())
    # An amount is never a cache key: the rows are cached without it, and it is applied per
    # request (same rows, same bytes as a cached answer for that amount would be).
    unkeyed = [(k, v) for k, v in sorted(params.items()) if k != "amount"]
    key = _digest(request.path, unkeyed, *_today_vary())

    def rows(query: Query, *days: date) -> list[Row] | None:
        return cached_value(key, lambda: reading.rows(query, *days), depends_on=depends_on)

    return uncached_answer(request, partial(_build, params, dates, rows, reading.payload))


def _build(params: dict, dates: tuple, rows_of: Callable, payload_of: Callable) -> Answer:
    dates = tuple(_latest_day().isoformat() if day is LATEST else day for day in dates)
    try:
        query, days = parse(params, *dates)
        rows = rows_of(query, *days)
        payload = None if rows is None else payload_of(query, rows)
    except RubyError as exc:
        return error(422, {"message": str(exc)})
    return ok(payload) if payload is not None else error(404, NOT_FOUND)


def _latest_day() -> date:
    """The day /latest answers for: today, or the last day the 14-day carry-forward reaches
    the ECB's newest rates when they are older (data.latest_anchor)."""
    return data.latest_anchor(data.ecb_newest_day())


def _digest(*parts: object) -> str:
    return "frankfurter:v1:" + hashlib.sha256(repr(parts).encode()).hexdigest()[:32]


def _today_vary() -> tuple[str]:
    # "latest", open ranges and the currency list move at midnight UTC even without new rates.
    return (data.today().isoformat(),)


@read_only
def root(request: HttpRequest) -> HttpResponse:
    return cached_answer(request, lambda: ok(ROOT), depends_on=())


@read_only
def latest(request: HttpRequest, alias: str) -> HttpResponse:
    return _answer(request, END_OF_DAY, LATEST)


@read_only
def on_date(request: HttpRequest, day: str) -> HttpResponse:
    return _answer(request, END_OF_DAY, day)


@read_only
def period(request: HttpRequest, start: str, end: str | None = None) -> HttpResponse:
    return _answer(request, INTERVAL, start, end or data.today().isoformat())


@read_only
def currency_names(request: HttpRequest) -> HttpResponse:
    return cached_answer(request, lambda: ok(currencies()), depends_on={EUR}, vary=_today_vary())
