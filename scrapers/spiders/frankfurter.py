"""Frankfurter, an open API over the ECB reference rates (multi-pair, any ECB currency as base).

URL:    {base_url}/v1/latest?base={BASE}   (base_url https://api.frankfurter.dev), one per base
Rates:  one compact JSON object {"amount": 1.0, "base": "EUR", "date": "YYYY-MM-DD",
        "rates": {"USD": 1.1722, …}}; the base itself is never among the rates.
Units:  `amount` BASE = rate CODE. `amount` is 1.0 unless a caller asks for a conversion, in which
        case the rates are multiplied by it: it goes into RateItem.per, which the pipeline divides
        out. Other bases than EUR are crosses Frankfurter computes from the ECB's EUR rates.
Errors: a body that is not JSON raises ValueError (json.JSONDecodeError); JSON without a date and
        rates yields [] and so closes the crawl as "parsed no rates"; a malformed date raises
        ValueError.
"""

import json
from collections.abc import Iterator
from datetime import date
from decimal import Decimal

import scrapy
from scrapy.http import TextResponse

from rates.ingest.ecb_history import observed_at
from scrapers.items import ONE, RateItem
from scrapers.numbers import rate_number

from .base import RateSpider, quote_items


class FrankfurterSpider(RateSpider):
    """Fetches one `latest` document per base currency (argument `bases`, default EUR and USD)."""

    name = "frankfurter"
    default_base_url = "https://api.frankfurter.dev"
    default_bases = ("EUR", "USD")

    async def start(self):
        for base in self.bases:
            yield scrapy.Request(f"{self.base_url}/v1/latest?base={base}", callback=self.parse)

    def parse(self, response: TextResponse) -> Iterator[RateItem]:
        yield from self.emit(parse_frankfurter(response.body), page=response.url)


def parse_frankfurter(body: bytes) -> list[RateItem]:
    # {"amount":1.0,"base":"EUR","date":"2025-12-17","rates":{"AUD":1.7704,"BGN":1.9558,…}}
    data = json.loads(body, parse_float=Decimal)
    if not isinstance(data, dict) or not isinstance(data.get("rates"), dict) or "date" not in data:
        return []
    amount = rate_number(data.get("amount", ONE), source="frankfurter", what="amount")
    # `date` is the ECB fixing day the numbers come from, not when Frankfurter served them, so the
    # instant recorded is the ECB's own publication time (16:00 Berlin), as for the ECB spider.
    when = observed_at(date.fromisoformat(data["date"]))
    per = amount if amount != ONE else ONE
    return quote_items(data["base"], data["rates"], when, source="frankfurter", per=per)
