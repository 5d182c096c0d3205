"""Frankfurter v2's RateQuery (lib/versions/v2/rate_query.rb) over Koel's sources.

Validation (unknown parameters, dates, conflicting params, group, expand, currencies, range
cost), the date scope (a day, a range, or latest = tomorrow with carry-forward — or, when the
newest data held is older than the carry-forward, the last day it reaches that data), and the
records: blended across providers (or the named ones), rebased to `base`, filtered by `quotes`,
with the base's identity record, rounded by magnitude — or a single named provider's own digits.
Long daily ranges are capped at 5 years unless they name 5 quotes or fewer (and, with
`providers`, 5 providers or fewer): Frankfurter caps only the ranges with providers, Koel every
one, as it computes every range live.
"""

from bisect import bisect_left, bisect_right
from collections import defaultdict
from datetime import date
from functools import cached_property

from rates.reads import known_codes, source_list

from . import data
from .blend import (
    LOOKBACK_DAYS,
    Blended,
    Row,
    blend,
    carry_forward,
    derive,
    each_snapshot,
    shift,
)
from .meta import money_table
from .ruby import RubyError, add_months, parse_date, round_rate, split

ALLOWED_PARAMS = ("base", "quotes", "providers", "date", "from", "to", "group", "expand")
PIVOT = "USD"
MAX_DAILY_RANGE_YEARS, MAX_DAILY_RANGE_QUOTES, MAX_DAILY_RANGE_PROVIDERS = 5, 5, 5
CHUNK_MONTHS = 3
RANGE_COST = (
    "date range exceeds 5 years at daily granularity; filter with quotes= (5 currencies or "
    "fewer), aggregate with group=week or group=month, or split the range into shorter requests"
)
BUCKET_MARGIN_DAYS = 45  # reaches past a week or month bucket on either side of a range


class ValidationError(RubyError):
    """RateQuery::ValidationError: answered 422 {"status": 422, "message": …}."""


class RateQuery:
    def __init__(self, params: dict[str, str]) -> None:
        self.params = params
        self.today = data.today()
        self._validate()

    # --- parameters, as Frankfurter reads them -------------------------------------------------
    @cached_property
    def base(self) -> str:
        return self.params["base"].upper() if "base" in self.params else "EUR"

    def _list(self, name: str, case=str.upper) -> list[str] | None:
        return split(case(self.params[name])) if name in self.params else None

    @cached_property
    def quotes(self) -> list[str] | None:
        return self._list("quotes")

    @cached_property
    def providers(self) -> list[str] | None:
        return self._list("providers")

    @cached_property
    def expand(self) -> list[str] | None:
        return self._list("expand", str.lower)

    @cached_property
    def group(self) -> str | None:
        return self.params["group"].lower() if "group" in self.params else None

    def _date(self, name: str) -> date | None:
        try:
            return parse_date(self.params[name]) if name in self.params else None
        except RubyError:
            return None

    @cached_property
    def scope(self) -> date | tuple[date, date]:
        if day := self._date("date"):
            return day
        if start := self._date("from"):
            return start, self._date("to") or self.today
        # LATEST_FUTURE_DAYS = 1: tomorrow, or where the carry-forward reaches the newest data.
        return data.latest_anchor(data.providers_newest_day(), ahead=1)

    @cached_property
    def is_range(self) -> bool:
        return isinstance(self.scope, tuple)

    @cached_property
    def rollup(self) -> bool:
        return self.is_range and self.group in ("week", "month")

    @cached_property
    def expand_providers(self) -> bool:
        return "providers" in (self.expand or [])

    # --- validation ------------------------------------------------------------------------------
    def _validate(self) -> None:
        if unknown := [key for key in self.params if key not in ALLOWED_PARAMS]:
            raise ValidationError(f"unknown parameter: {', '.join(unknown)}")
        if any(key in self.params and not self._date(key) for key in ("date", "from", "to")):
            raise ValidationError("invalid date")
        if self._date("date") and (self._date("from") or self._date("to")):
            raise ValidationError("conflicting params")
        if self.group is not None and self.group not in ("week", "month"):
            raise ValidationError("invalid group")
        self._validate_expand()
        self._validate_currencies()
        self._validate_range_cost()

    def _validate_expand(self) -> None:
        if self.expand is None:
            return
        # Frankfurter lets `expand=` pass as no expansion; an empty value is refused here instead.
        unknown = [e for e in self.expand if e != "providers"] or ([] if self.expand else [""])
        if unknown:
            raise ValidationError(f"invalid expand: {','.join(unknown)}")

    def _validate_currencies(self) -> None:
        asked = ([self.base] if "base" in self.params else []) + (self.quotes or [])
        known = set(money_table()) | known_codes(asked)
        invalid = [self.base] if "base" in self.params and self.base not in known else []
        invalid += [q for q in self.quotes or [] if q not in known]
        if invalid:
            raise ValidationError(f"invalid currency: {','.join(invalid)}")

    def _validate_range_cost(self) -> None:
        # Frankfurter serves plain ranges from a materialised blend and caps only the shapes that
        # recompute per date (providers, expand=providers). Koel computes every range live: a
        # plain century of every currency took 6-7 s and 14 MB, again for each other start date
        # (issue 13), so it caps plain ranges too, unless they name 5 quotes or fewer.
        if not self.is_range or self.rollup:
            return
        few_quotes = bool(self.quotes) and len(set(self.quotes)) <= MAX_DAILY_RANGE_QUOTES
        if self.providers or self.expand_providers:
            few_providers = bool(self.providers) and (
                len(set(self.providers)) <= MAX_DAILY_RANGE_PROVIDERS
            )
            if few_quotes and few_providers:
                return
        elif few_quotes:
            return
        start, end = self.scope
        if min(end, self.today) <= add_months(start, MAX_DAILY_RANGE_YEARS * 12):
            return
        raise ValidationError(RANGE_COST)

    # --- records ---------------------------------------------------------------------------------
    def records(self) -> list[dict]:
        if not self.is_range:
            anchor = self.scope
            rows = self._rows(shift(anchor, -LOOKBACK_DAYS), anchor)
            return self._emit_blended(carry_forward(rows, anchor))
        if self.rollup:
            return self._rollup_range()
        return self._daily_range()

    def _sources(self) -> list[str] | None:
        if self.providers is None:
            return None
        wanted = set(self.providers)
        return [source.code for source in source_list() if source.code.upper() in wanted]

    def _rows(self, first: date, last: date) -> list[Row]:
        return data.one_frame(
            data.daily_rows(first, last, sources=self._sources(), frames=data.frames())
        )

    def _daily_range(self) -> list[dict]:
        start, end = self.scope
        end = min(end, shift(self.today, 3))  # no rate is dated later: nothing to anchor
        rows = sorted(self._rows(shift(start, -LOOKBACK_DAYS), end), key=lambda r: r.date)
        days = [row.date for row in rows]
        seen, out = set(), []
        for chunk_start, chunk_end in _chunks(start, end, days):
            first = bisect_left(days, shift(chunk_start, -LOOKBACK_DAYS))
            window = rows[first : bisect_right(days, chunk_end)]
            present = {row.date for row in window}
            anchors = sorted(d for d in present if chunk_start <= d <= chunk_end)
            if chunk_start not in present:
                anchors.insert(0, chunk_start)
            for _anchor, contributors in each_snapshot(window, anchors):
                for record in self._emit_blended(contributors):
                    key = (record["quote"], record["date"])
                    if key not in seen:
                        seen.add(key)
                        out.append(record)
        return out

    def _rollup_range(self) -> list[dict]:
        start, end = self.scope
        if start > self.today:
            return []
        first = shift(start, -BUCKET_MARGIN_DAYS)
        last = shift(end, BUCKET_MARGIN_DAYS)
        rows = data.one_frame(
            data.bucket_rows(first, last, self.group, sources=self._sources(), frames=data.frames())
        )
        # Rate.between: from the newest bucket at or before the start, to the end.
        nearest = max((r.date for r in rows if r.date <= start), default=start)
        buckets: dict[date, list[Row]] = defaultdict(list)
        for row in rows:
            if nearest <= row.date <= end:
                buckets[row.date].append(row)
        return [record for day in sorted(buckets) for record in self._emit_blended(buckets[day])]

    def _emit_blended(self, rows: list[Row]) -> list[dict]:
        if not rows:
            return []
        blended = blend(rows, today=self.today)
        if blended and self.base != PIVOT:
            blended = derive(blended, target=self.base)
        return self._emit_records(blended, rows)

    def _emit_records(self, blended: list[Blended], rows: list[Row]) -> list[dict]:
        if not blended:
            return []
        quotes, providers = self.quotes, self.providers
        passthrough = bool(providers) and len(providers) == 1 and not self.rollup
        lookup = {(r.base, r.quote): r.rate for r in rows} if passthrough else {}
        records = []
        for row in blended:
            if quotes is not None and row.quote not in quotes:
                continue
            stored = lookup.get((row.base, row.quote))
            rate = stored if stored is not None else round_rate(row.rate)
            record = {
                "date": row.date.isoformat(),
                "base": row.base,
                "quote": row.quote,
                "rate": rate,
            }
            if self.expand_providers and row.providers:
                record["providers"] = [self._provider(p, stored) for p in row.providers]
            records.append(record)
        if (quotes is None or self.base in quotes) and all(
            r["quote"] != self.base for r in records
        ):
            reference = max((r["date"] for r in records), default=None)
            reference = reference or max(b.date for b in blended).isoformat()
            records.append({"date": reference, "base": self.base, "quote": self.base, "rate": 1.0})
        order = (lambda r: (r["date"], r["quote"])) if self.is_range else (lambda r: r["quote"])
        return sorted(records, key=order)

    def _provider(self, entry: dict, stored: float | None) -> dict:
        key = entry["key"].upper()
        own = stored is not None and key == (self.providers or [None])[0]
        out = {
            "key": key,
            "date": entry["date"].isoformat(),
            "rate": stored if own else round_rate(entry["rate"]),
        }
        if entry.get("excluded"):
            out["excluded"] = True
        return out


def _chunks(start: date, end: date, days: list[date]):
    """CHUNK_MONTHS-long pieces of [start, end] (RateQuery#each_chunk), skipping the stretches
    no stored day can reach (their anchors carry nothing forward)."""
    cursor = start
    while cursor <= end:
        chunk_end = min(shift(add_months(cursor, CHUNK_MONTHS), -1), end)
        lo = bisect_left(days, shift(cursor, -LOOKBACK_DAYS))
        if lo < len(days) and days[lo] <= chunk_end:
            yield cursor, chunk_end
        if chunk_end >= date.max or chunk_end == end:
            return
        cursor = shift(chunk_end, 1)
