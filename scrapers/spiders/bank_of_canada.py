"""Bank of Canada daily exchange rates through its Valet API (official, multi-pair, quoted in CAD).

URL:    {base_url}/valet/observations/group/FX_RATES_DAILY/json?recent=1
        (base_url https://www.bankofcanada.ca)
Rates:  "observations": one object per business day,
        {"d": "YYYY-MM-DD", "FXUSDCAD": {"v": "1.3617"}, …}; values are strings, and a series
        the Bank has stopped (THB, MYR, VND) is simply absent.
Units:  series FX{AAA}{BBB} means 1 AAA = v BBB, so FXUSDCAD gives USD→CAD. The group's series are
        all quoted in CAD; the id is read rather than assumed, so a single inverse series such as
        FXCADUSD parses the right way round. Annual averages (FXAUSDCAD) are not daily rates and
        are skipped. The Bank publishes once a business day "by 16:30 ET": the instant recorded.
Bases:  the group request returns every currency at once, so the `bases` argument is ignored.
Errors: a body that is not JSON raises ValueError (json.JSONDecodeError); JSON without
        observations yields [] and so closes the crawl as "parsed no rates"; a malformed date or
        value inside an observation raises ValueError and fails it.
"""

import json
import re
from collections.abc import Iterator
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import scrapy
from scrapy.http import TextResponse

from scrapers.items import RateItem
from scrapers.numbers import rate_text

from .base import RateSpider

TORONTO = ZoneInfo("America/Toronto")
PUBLISHED_AT = time(16, 30)
DAILY_SERIES = re.compile(r"FX([A-Z]{3})([A-Z]{3})")


class BankOfCanadaSpider(RateSpider):
    name = "bank_of_canada"
    default_base_url = "https://www.bankofcanada.ca"
    default_bases = ("CAD",)

    async def start(self):
        url = f"{self.base_url}/valet/observations/group/FX_RATES_DAILY/json?recent=1"
        yield scrapy.Request(url, callback=self.parse)

    def parse(self, response: TextResponse) -> Iterator[RateItem]:
        yield from self.emit(parse_bank_of_canada(response.body), page=response.url)


def parse_bank_of_canada(body: bytes) -> list[RateItem]:
    # {"terms": {…}, "groupDetail": {…}, "seriesDetail": {"FXAUDCAD": {"label": "AUD/CAD", …}, …},
    #  "observations": [{"d": "2026-03-12", "FXAUDCAD": {"v": "0.9661"}, …,
    #                    "FXUSDCAD": {"v": "1.3617"}}, …]}
    data = json.loads(body)
    observations = data.get("observations") if isinstance(data, dict) else None
    if not isinstance(observations, list):
        return []
    return [item for day in observations for item in _observation_items(day)]


def _observation_items(day: dict) -> Iterator[RateItem]:
    when = datetime.combine(date.fromisoformat(day["d"]), PUBLISHED_AT, tzinfo=TORONTO)
    for series, cell in day.items():
        match = DAILY_SERIES.fullmatch(series)
        # An empty value is a day the Bank published nothing for that series.
        if match and isinstance(cell, dict) and cell.get("v"):
            rate = rate_text(cell["v"], source="bank_of_canada", what=series)
            yield RateItem(match[1], match[2], rate, when)
