"""Yahoo Finance currency quotes from its chart API (JSON, single-pair, no key).

URL:    {base_url}/v8/finance/chart/{SYMBOL}   (base_url https://query1.finance.yahoo.com), one
        request per (base, target); `targets` is required. SYMBOL is {BASE}{TARGET}=X
        ("EURUSD=X"), except that Yahoo names dollar-based pairs by the target alone: USD→INR is
        "INR=X", so that is what a USD base asks for.
Rates:  {"chart": {"result": [{"meta": {"currency": "INR", "symbol": "INR=X",
        "regularMarketPrice": 83.89, "regularMarketTime": 1726284616, "instrumentType":
        "CURRENCY", …}, "timestamp": […], "indicators": {"quote": [{"close": [64.61…, null, …]}]}}],
        "error": null}}. The rate read is meta.regularMarketPrice at meta.regularMarketTime (Unix
        seconds, UTC). The daily bars (timestamp[] + indicators.quote[0].close[]) are not read:
        they hold nulls on days without a bar, a bar's timestamp is when it opened rather than
        when its close was quoted, and what Koel wants from a quote API is the current price.
Units:  the pair comes from the symbol: "EURUSD=X" is 1 EUR = price USD, "INR=X" is 1 USD = price
        INR. meta.currency is the quote currency and must agree with the symbol's target.
        Prices are JSON numbers, kept digit for digit (83.89, 1.1800802).
v7:     parse_yahoo_quote reads the older v7 quote API (query2…/v7/finance/quote?symbols=EURUSD=X,
        which now needs a cookie and crumb, so the spider does not call it):
        {"quoteResponse": {"result": [{"symbol", "currency", "regularMarketPrice",
        "regularMarketTime", "bid", "ask", …}, …], "error": null}}, read the same way.
Errors: an error body ({"chart": {"result": null, "error": {"code": "Not Found", …}}}) or a result
        without a price parses to [] and fails the crawl; a symbol that is not a currency pair, a
        currency that contradicts it, or a non-numeric price or time raises ValueError.
"""

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from json import loads

import scrapy
from scrapy.http import TextResponse

from scrapers.items import RateItem
from scrapers.numbers import rate_number

from .base import SinglePairSpider

PAIR_SYMBOL = re.compile(r"([A-Z]{3})([A-Z]{3})=X")
DOLLAR_SYMBOL = re.compile(r"([A-Z]{3})=X")


class YahooSpider(SinglePairSpider):
    name = "yahoo"
    default_base_url = "https://query1.finance.yahoo.com"

    def pair_request(self, base: str, target: str) -> scrapy.Request:
        symbol = f"{target}=X" if base == "USD" else f"{base}{target}=X"
        return scrapy.Request(f"{self.base_url}/v8/finance/chart/{symbol}", callback=self.parse)

    def parse(self, response: TextResponse) -> Iterator[RateItem]:
        yield from self.emit(parse_yahoo_chart(response.body), page=response.url)


def parse_yahoo_chart(body: bytes) -> list[RateItem]:
    data = loads(body, parse_float=Decimal)
    chart = data.get("chart") if isinstance(data, dict) else None
    results = chart.get("result") if isinstance(chart, dict) else None
    if not isinstance(results, list):
        return []
    metas = (result.get("meta") for result in results if isinstance(result, dict))
    return [item for meta in metas if isinstance(meta, dict) for item in _quote(meta)]


def parse_yahoo_quote(body: bytes) -> list[RateItem]:
    data = loads(body, parse_float=Decimal)
    response = data.get("quoteResponse") if isinstance(data, dict) else None
    results = response.get("result") if isinstance(response, dict) else None
    if not isinstance(results, list):
        return []
    return [item for quote in results if isinstance(quote, dict) for item in _quote(quote)]


def symbol_pair(symbol: str) -> tuple[str, str]:
    """ "EURUSD=X" → ("EUR", "USD"); "INR=X" → ("USD", "INR")."""
    if match := PAIR_SYMBOL.fullmatch(symbol):
        return match[1], match[2]
    if match := DOLLAR_SYMBOL.fullmatch(symbol):
        return "USD", match[1]
    raise ValueError(f"yahoo: {symbol!r} is not a currency pair symbol")


def _quote(quote: dict) -> list[RateItem]:
    price, stamp = quote.get("regularMarketPrice"), quote.get("regularMarketTime")
    if price is None:
        return []
    base, target = symbol_pair(str(quote.get("symbol")))
    currency = quote.get("currency")
    if currency is not None and str(currency).upper() != target:
        raise ValueError(f"yahoo: {quote.get('symbol')} is quoted in {currency}, not {target}")
    rate = rate_number(price, source="yahoo", what="regularMarketPrice")
    if isinstance(stamp, bool) or not isinstance(stamp, int):
        raise ValueError(f"yahoo: regularMarketTime is not Unix seconds: {stamp!r}")
    return [RateItem(base, target, rate, datetime.fromtimestamp(stamp, tz=UTC))]
