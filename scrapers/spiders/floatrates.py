"""floatrates.com daily rates (free JSON feed, multi-pair).

URL:    {base_url}/daily/{base}.json   (base_url http://www.floatrates.com; base lower-case, "usd")
Rates:  one object keyed by lower-case target code; each entry holds `code`, `rate`, `date`
        (RFC 1123, "Mon, 28 Jun 2021 11:55:01 GMT") and `inverseRate`, `name`, `numericCode`.
Units:  1 BASE = `rate` TARGET (`inverseRate` is the other way round and is ignored). The base is
        not in the body (its own entry is absent), so the spider passes it from the request.

Garbled or drifted bodies (not JSON, not an object of entries, an entry without code/rate/date,
a non-numeric rate, a date without a zone) raise ValueError; an empty object `{}` gives [] and
the spider's emit() closes the crawl as a failure.
"""

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from email.utils import parsedate_to_datetime
from functools import cache
from json import loads

import scrapy
from scrapy.http import TextResponse

from scrapers.items import RateItem
from scrapers.numbers import rate_number

from .base import RateSpider

FIELDS = frozenset({"code", "rate", "date"})


class FloatratesSpider(RateSpider):
    name = "floatrates"
    default_base_url = "http://www.floatrates.com"

    async def start(self):
        for base in self.bases:
            url = f"{self.base_url}/daily/{base.lower()}.json"
            yield scrapy.Request(url, callback=self.parse, cb_kwargs={"base": base})

    def parse(self, response: TextResponse, base: str) -> Iterator[RateItem]:
        yield from self.emit(parse_floatrates_json(response.body, base), page=response.url)


def parse_floatrates_json(body: bytes, base: str) -> list[RateItem]:
    # {"eur":{"code":"EUR","alphaCode":"EUR","numericCode":"978","name":"Euro",
    #   "rate":0.8373719808658,"date":"Mon, 28 Jun 2021 11:55:01 GMT","inverseRate":1.19421…},
    #  "jpy":{…,"rate":110.70358645416,…}, "xof":{…,"rate":4.3469550758637e-05,…}, …}
    data = loads(body, parse_float=Decimal)
    if not isinstance(data, dict):
        raise ValueError("floatrates: expected a JSON object keyed by currency code")
    base = base.upper()
    return [
        RateItem(
            base,
            entry["code"].upper(),
            rate_number(entry["rate"], source="floatrates"),
            _observed_at(entry["date"]),
        )
        for entry in map(_checked, data.values())
        if entry["code"].upper() != base
    ]


def _checked(entry: object) -> dict:
    if not (isinstance(entry, dict) and entry.keys() >= FIELDS and isinstance(entry["code"], str)):
        raise ValueError(f"floatrates: entry without {sorted(FIELDS)}: {entry!r:.80}")
    return entry


@cache
def _observed_at(stamp: str) -> datetime:
    # Every entry repeats the same stamp: parse it once. "GMT" gives an aware datetime; a stamp
    # without a zone ("-0000") gives a naive one, which Koel cannot place in time.
    when = parsedate_to_datetime(stamp)
    if when.tzinfo is None:
        raise ValueError(f"floatrates: date without a time zone: {stamp!r}")
    return when.astimezone(UTC)
