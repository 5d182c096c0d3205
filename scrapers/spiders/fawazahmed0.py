"""fawazahmed0's currency-api, served from jsDelivr's CDN (free JSON files, multi-pair).

URL:    {base_url}/v1/currencies/{base}.json   (base lower-case, "usd"; base_url
        https://cdn.jsdelivr.net/npm/@fawazahmed0/currency-api@latest, "@YYYY-MM-DD" for a past day)
Rates:  {"date": "YYYY-MM-DD", "<base>": {"<code>": rate, …}}; every code is lower-case and about
        a tenth are crypto coins or tokens ("1inch", "btc", "usdt"), metals ("xau") included.
Units:  1 BASE = rate CODE. Only 3-letter alphabetic codes are kept (upper-cased); the
        validation rejects the ones Koel does not know (btc…). Metals (xau, xag, xpt, xpd) are
        known currencies, inactive until an admin turns them on, so their rates are stored.
        The base's own 1 is skipped.

A garbled or drifted body (not JSON, no `date`, no object under the requested base, as with the
single-pair endpoint's {"date": …, "gel": 3.03}; a non-numeric rate) raises ValueError.
"""

from collections.abc import Iterator
from datetime import UTC, date, datetime, time
from decimal import Decimal
from json import loads

import scrapy
from scrapy.http import TextResponse

from scrapers.items import RateItem

from .base import RateSpider, quote_items


class Fawazahmed0Spider(RateSpider):
    name = "fawazahmed0"
    default_base_url = "https://cdn.jsdelivr.net/npm/@fawazahmed0/currency-api@latest"

    async def start(self):
        for base in self.bases:
            url = f"{self.base_url}/v1/currencies/{base.lower()}.json"
            yield scrapy.Request(url, callback=self.parse, cb_kwargs={"base": base})

    def parse(self, response: TextResponse, base: str) -> Iterator[RateItem]:
        yield from self.emit(parse_fawazahmed0(response.body, base), page=response.url)


def parse_fawazahmed0(body: bytes, base: str) -> list[RateItem]:
    # {"date": "2022-04-17",
    #  "usd": {"1inch": 0.662371, "ada": 1.051727, "aed": 3.67304, …, "btc": 0.000025, …,
    #          "usd": 1, …, "zwl": 322.000001}}
    data = loads(body, parse_float=Decimal)
    rates = data.get(base.lower()) if isinstance(data, dict) else None
    if not isinstance(rates, dict) or not isinstance(data.get("date"), str):
        raise ValueError(f"fawazahmed0: expected {{'date': …, {base.lower()!r}: {{code: rate}}}}")
    # The files carry a calendar day and no time: they are rebuilt once a day and dated by that
    # day. Midnight UTC is the one instant the day names, and it makes every re-crawl of the same
    # file land on the same observation instead of adding a new one.
    when = datetime.combine(date.fromisoformat(data["date"]), time(), tzinfo=UTC)
    # Only ISO-shaped codes: about a tenth of the file is coins and tokens ("1inch", "usdt").
    iso = {code: rate for code, rate in rates.items() if len(code) == 3 and code.isascii()}
    codes = {code: rate for code, rate in iso.items() if code.isalpha()}
    return quote_items(base, codes, when, source="fawazahmed0")
