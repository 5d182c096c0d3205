"""ExchangeRate-API's keyed v6 endpoint (JSON, multi-pair, ~160 targets, API key needed).

URL:    {base_url}/v6/{KEY}/latest/{BASE}   (base_url https://v6.exchangerate-api.com; base
        upper-case). The key comes from the spider argument `api_key`, which the crawl command
        fills from the setting KOEL_EXCHANGERATE_API_KEY (Source.api_key_setting); without a key
        the spider logs an error and requests nothing. The key is written <key> in the logs.
Rates:  {"result": "success", "documentation": …, "terms_of_use": …,
         "time_last_update_unix": 1717545601, "time_last_update_utc": "Wed, 05 Jun 2024 00:00:01
         +0000", "time_next_update_unix": …, "base_code": "EUR",
         "conversion_rates": {"EUR": 1, "AED": 3.9943, …}}
        — the keyed sibling of open.er-api.com (scrapers/spiders/open_er_api.py), with
        `conversion_rates` where the open endpoint has `rates`.
Units:  1 base_code = rate CODE (4-dp decimals such as 1.9468, kept digit for digit); the base's
        own entry (1) is skipped. The instant is time_last_update_unix (UTC).
Errors: {"result": "error", "error-type": "invalid-key" | "inactive-account" | "quota-reached" |
        "unsupported-code" | …} parses to [] and fails the crawl; a garbled or drifted success
        body (not JSON, no base_code / conversion_rates / time_last_update_unix, a non-numeric
        rate) raises ValueError.
"""

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from json import loads

import scrapy
from scrapy.http import TextResponse

from scrapers.items import RateItem
from scrapers.numbers import is_json_number

from .base import RateSpider, hide_in_logs, quote_items


class ExchangerateApiSpider(RateSpider):
    name = "exchangerate_api"
    default_base_url = "https://v6.exchangerate-api.com"

    def __init__(self, *args, api_key: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.api_key = api_key
        hide_in_logs(api_key)

    async def start(self):
        if not self.api_key:
            self.logger.error("exchangerate_api needs an API key: set KOEL_EXCHANGERATE_API_KEY")
            return
        for base in self.bases:
            url = f"{self.base_url}/v6/{self.api_key}/latest/{base}"
            yield scrapy.Request(url, callback=self.parse, cb_kwargs={"base": base})

    def parse(self, response: TextResponse, base: str) -> Iterator[RateItem]:
        page = f"{self.base_url}/v6/<key>/latest/{base}"
        yield from self.emit(parse_exchangerate_api(response.body), page=page)


def parse_exchangerate_api(body: bytes) -> list[RateItem]:
    # {"result":"success",…,"time_last_update_unix":1717545601,…,"base_code":"EUR",
    #  "conversion_rates":{"EUR":1,"AED":3.9943,"AFN":76.8929,…}}
    data = loads(body, parse_float=Decimal)
    if not isinstance(data, dict):
        raise ValueError("exchangerate_api: expected a JSON object")
    if data.get("result") != "success":
        return []
    base = data.get("base_code")
    rates = data.get("conversion_rates")
    stamp = data.get("time_last_update_unix")
    if not isinstance(base, str) or not isinstance(rates, dict) or not is_json_number(stamp):
        raise ValueError(
            "exchangerate_api: success body without base_code, conversion_rates or update time"
        )
    when = datetime.fromtimestamp(int(stamp), tz=UTC)
    return quote_items(base, rates, when, source="exchangerate_api")
