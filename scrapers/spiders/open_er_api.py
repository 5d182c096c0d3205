"""open.er-api.com, ExchangeRate-API's open (keyless) endpoint (multi-pair).

URL:    {base_url}/v6/latest/{BASE}   (base_url https://open.er-api.com; base upper-case)
Rates:  `rates` maps upper-case codes to numbers, the base's own entry (1) included; `base_code`
        names the base and `time_last_update_unix` the instant the rates were last updated.
Units:  1 base_code = rate CODE. Updated once a day (around 00:00 UTC).

A body whose `result` is not "success" (e.g. {"result":"error","error-type":"unsupported-code"})
gives [] and the spider's emit() closes the crawl as a failure. A garbled or drifted success body
(not JSON, no `base_code`/`rates`/`time_last_update_unix`, a non-numeric rate) raises ValueError.
"""

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from json import loads

import scrapy
from scrapy.http import TextResponse

from scrapers.items import RateItem
from scrapers.numbers import is_json_number

from .base import RateSpider, quote_items


class OpenErApiSpider(RateSpider):
    name = "open_er_api"
    default_base_url = "https://open.er-api.com"

    async def start(self):
        for base in self.bases:
            url = f"{self.base_url}/v6/latest/{base}"
            # The body names its base (base_code), so the request passes nothing on.
            yield scrapy.Request(url, callback=self.parse)

    def parse(self, response: TextResponse) -> Iterator[RateItem]:
        yield from self.emit(parse_open_er_api(response.body), page=response.url)


def parse_open_er_api(body: bytes) -> list[RateItem]:
    # {"result":"success","provider":"https://www.exchangerate-api.com",…,
    #  "time_last_update_unix":1745366552,"time_last_update_utc":"Wed, 23 Apr 2025 00:02:32 +0000",
    #  …,"base_code":"RUB","rates":{"RUB":1,"AED":0.045091,"AFN":0.882457,…}}
    data = loads(body, parse_float=Decimal)
    if not isinstance(data, dict):
        raise ValueError("open_er_api: expected a JSON object")
    if data.get("result") != "success":
        return []
    base, rates, stamp = data.get("base_code"), data.get("rates"), data.get("time_last_update_unix")
    if not isinstance(base, str) or not isinstance(rates, dict) or not is_json_number(stamp):
        raise ValueError("open_er_api: success body without base_code, rates or update time")
    when = datetime.fromtimestamp(int(stamp), tz=UTC)
    return quote_items(base, rates, when, source="open_er_api")
