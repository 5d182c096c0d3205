"""Wise (wise.com) mid-market rate from its public price gateway (JSON, single-pair, no key).

URL:    {base_url}/gateway/v1/price?sourceCurrency={BASE}&targetCurrency={TARGET}&targetAmount=1000
        (base_url https://wise.com), one request per (base, target); `targets` is required.
Rates:  a JSON array of price options, one per pay-in × pay-out method (276 for GBP→USD), each
        {"priceSetId", "sourceAmount", "targetAmount", "payInMethod", "payOutMethod",
         "sourceCcy": "GBP", "targetCcy": "USD", "total", "variableFee", …, "midRate": 1.24495,
         "ecbRate": 1.25167, "ecbRateTimestamp": 1683899703000, "ecbMarkupPercent", …}.
        The rate read is `midRate`, Wise's mid-market rate, which every option repeats: the options
        differ in fees and in `sourceAmount` (what the customer pays, fees included), never in
        `midRate`, so neither sourceAmount/targetAmount (a fee-laden price) nor `ecbRate` (the
        ECB-derived rate Wise compares itself with) is the rate. Options that disagree on the
        pair or on midRate raise ValueError rather than picking one.
Units:  1 sourceCcy = midRate targetCcy, whatever targetAmount was asked (it only sizes the fees).
Time:   the body has no time for midRate (`ecbRateTimestamp` dates the ECB comparison rate), so
        the spider passes the response's HTTP Date header, else the time it received the body.
Errors: an error object ({"errors": […]}), an empty array or an array without midRate parses to
        [] and fails the crawl; a body that is not JSON raises ValueError.
"""

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from email.utils import parsedate_to_datetime
from json import loads

import scrapy
from scrapy.http import TextResponse

from scrapers.items import RateItem
from scrapers.numbers import rate_number

from .base import SinglePairSpider


class WiseSpider(SinglePairSpider):
    name = "wise"
    default_base_url = "https://wise.com"

    def pair_request(self, base: str, target: str) -> scrapy.Request:
        url = (
            f"{self.base_url}/gateway/v1/price?sourceCurrency={base}&targetCurrency={target}"
            "&targetAmount=1000"
        )
        return scrapy.Request(url, callback=self.parse)

    def parse(self, response: TextResponse) -> Iterator[RateItem]:
        when = response_time(response)
        yield from self.emit(parse_wise(response.body, when), page=response.url)


def response_time(response: TextResponse) -> datetime:
    """When the server says it answered (HTTP Date header), else now: for bodies without a time."""
    header = response.headers.get(b"Date")
    if header:
        try:
            when = parsedate_to_datetime(header.decode("latin-1"))
        except (TypeError, ValueError):
            when = None
        if when is not None and when.tzinfo is not None:
            return when.astimezone(UTC)
    return datetime.now(UTC)


def parse_wise(body: bytes, observed_at: datetime) -> list[RateItem]:
    # [{"priceSetId":2431,"sourceAmount":810.43,"targetAmount":1000.0,"payInMethod":"CREDIT",
    #   "payOutMethod":"DIRECT_DEBIT","sourceCcy":"GBP","targetCcy":"USD","total":7.18,…,
    #   "midRate":1.24495,"ecbRate":1.25167,"ecbRateTimestamp":1683899703000,…}, …]
    data = loads(body, parse_float=Decimal)
    if not isinstance(data, list):
        return []  # {"errors": [{"code": "…", "message": "…"}]} and the like
    quotes = {
        (option.get("sourceCcy"), option.get("targetCcy"), option.get("midRate"))
        for option in data
        if isinstance(option, dict) and "midRate" in option
    }
    if not quotes:
        return []
    if len(quotes) > 1:
        raise ValueError(
            f"wise: price options disagree on the pair or midRate: {sorted(map(repr, quotes))}"
        )
    ((source, target, rate),) = quotes
    if not (isinstance(source, str) and isinstance(target, str)):
        raise ValueError(f"wise: price option without sourceCcy/targetCcy: {source!r}, {target!r}")
    rate = rate_number(rate, source="wise", what="midRate")
    if observed_at.tzinfo is None:
        raise ValueError("wise: observed_at must be timezone-aware")
    return [RateItem(source.upper(), target.upper(), rate, observed_at)]
