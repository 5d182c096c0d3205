"""FRED (St. Louis Fed) daily H.10 exchange-rate series (JSON API, single-pair, API key needed).

URL:    {base_url}/fred/series/observations?series_id={SERIES}&api_key={KEY}&file_type=json
        &sort_order=desc&limit=10   (base_url https://api.stlouisfed.org): the last 10 days of one
        series per request. The key comes from the spider argument `api_key`, which the crawl
        command fills from the setting KOEL_FRED_API_KEY (Source.api_key_setting); without a key
        the spider logs an error and requests nothing. The key is written <key> in the logs.
Pairs:  FRED has one series per currency against the US dollar (SERIES below). For each
        (base, target) asked, the series of that pair is fetched whichever way round it quotes it;
        with no `targets` every series involving one of the bases (by default USD: all of them).
        A pair FRED has no series for is skipped with a warning.
Rates:  {"realtime_start": …, "observation_start": …, "units": "lin", …, "observations":
        [{"realtime_start": …, "realtime_end": …, "date": "2026-03-02", "value": "1.169"}, …]}.
        Values are strings; "." marks a day without a rate (a US holiday) and is skipped. The body
        does not name its series, so the spider passes the series id on from the request.
Units:  the id says the direction. DEX{XX}US = XX currency per 1 USD (DEXJPUS 157.48: 1 USD =
        157.48 JPY, stored USD→JPY); DEXUS{XX} = US dollars per 1 XX, the inverse quote used for
        EUR, GBP, AUD and NZD (DEXUSEU 1.169: 1 EUR = 1.169 USD, stored EUR→USD as published;
        Koel reads the inverse when asked USD→EUR). Every value is per 1 unit.
Time:   H.10 rates are noon buying rates in New York: 12:00 America/New_York of `date`.
Errors: a body without `observations` (FRED's {"error_code": 400, "error_message": …} comes with
        HTTP 400 and never reaches the parser) or only "." values parses to [] and fails the crawl;
        a malformed date or a value that is neither a number nor "." raises.
"""

from collections.abc import Iterator
from datetime import date, datetime, time
from json import loads
from zoneinfo import ZoneInfo

import scrapy
from scrapy.http import TextResponse

from scrapers.items import RateItem
from scrapers.numbers import rate_text

from .base import SinglePairSpider, hide_in_logs

NEW_YORK = ZoneInfo("America/New_York")
NOON = time(12, 0)
MISSING = "."

# FRED id → (base, target) as the series quotes it: 1 base = value target.
SERIES: dict[str, tuple[str, str]] = {
    # US dollars per 1 unit of the currency (inverse quotes, from the dollar's point of view).
    "DEXUSAL": ("AUD", "USD"),
    "DEXUSEU": ("EUR", "USD"),
    "DEXUSNZ": ("NZD", "USD"),
    "DEXUSUK": ("GBP", "USD"),
    # Currency units per 1 US dollar.
    "DEXBZUS": ("USD", "BRL"),
    "DEXCAUS": ("USD", "CAD"),
    "DEXCHUS": ("USD", "CNY"),
    "DEXDNUS": ("USD", "DKK"),
    "DEXHKUS": ("USD", "HKD"),
    "DEXINUS": ("USD", "INR"),
    "DEXJPUS": ("USD", "JPY"),
    "DEXKOUS": ("USD", "KRW"),
    "DEXMAUS": ("USD", "MYR"),
    "DEXMXUS": ("USD", "MXN"),
    "DEXNOUS": ("USD", "NOK"),
    "DEXSDUS": ("USD", "SEK"),
    "DEXSFUS": ("USD", "ZAR"),
    "DEXSIUS": ("USD", "SGD"),
    "DEXSLUS": ("USD", "LKR"),
    "DEXSZUS": ("USD", "CHF"),
    "DEXTAUS": ("USD", "TWD"),
    "DEXTHUS": ("USD", "THB"),
}
BY_PAIR = {frozenset(pair): series for series, pair in SERIES.items()}


class FredSpider(SinglePairSpider):
    name = "fred"
    default_base_url = "https://api.stlouisfed.org"

    def __init__(self, *args, api_key: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.api_key = api_key
        hide_in_logs(api_key)

    def default_pairs(self) -> list[tuple[str, str]]:
        return [pair for pair in SERIES.values() if set(pair) & set(self.bases)]

    async def start(self):
        if not self.api_key:
            self.logger.error("fred needs an API key: set KOEL_FRED_API_KEY")
            return
        async for request in super().start():
            yield request

    def pair_request(self, base: str, target: str) -> scrapy.Request | None:
        series = BY_PAIR.get(frozenset((base, target)))
        if series is None:
            return None
        url = (
            f"{self.base_url}/fred/series/observations?series_id={series}&api_key={self.api_key}"
            "&file_type=json&sort_order=desc&limit=10"
        )
        return scrapy.Request(url, callback=self.parse, cb_kwargs={"series": series})

    def parse(self, response: TextResponse, series: str) -> Iterator[RateItem]:
        yield from self.emit(parse_fred(response.body, series), page=f"FRED series {series}")


def parse_fred(body: bytes, series: str) -> list[RateItem]:
    # {"realtime_start":"2026-03-16",…,"count":10,"offset":0,"limit":100000,
    #  "observations":[{"realtime_start":"2026-03-16","realtime_end":"2026-03-16",
    #                   "date":"2026-03-02","value":"1.169"},…]}
    if series not in SERIES:
        raise ValueError(f"fred: unknown series {series!r}")
    base, target = SERIES[series]
    data = loads(body)
    observations = data.get("observations") if isinstance(data, dict) else None
    if not isinstance(observations, list):
        return []
    items = []
    for observation in observations:
        value = observation.get("value") if isinstance(observation, dict) else None
        if not isinstance(value, str) or not isinstance(observation.get("date"), str):
            raise ValueError(f"fred: observation without a date and value: {observation!r:.80}")
        if value.strip() == MISSING:
            continue
        when = datetime.combine(date.fromisoformat(observation["date"]), NOON, tzinfo=NEW_YORK)
        items.append(RateItem(base, target, rate_text(value, source="fred", what=series), when))
    return items
