"""Norges Bank exchange rates from its SDMX data API (official, multi-pair, quoted in NOK).

URL:    {base_url}/api/data/EXR/B..NOK.SP?format=csvdata&lastNObservations=1
        (base_url https://data.norges-bank.no)
Rates:  csvdata = comma-separated, one row per currency and day, header
        FREQ,BASE_CUR,QUOTE_CUR,TENOR,DECIMALS,CALCULATED,UNIT_MULT,COLLECTION,TIME_PERIOD,OBS_VALUE
        with '.' decimals. The `format=csv&locale=no` variant has the same codes interleaved with
        Norwegian labels, ';' separators and decimal commas (parse_norges_bank_csv_no).
Units:  10**UNIT_MULT BASE_CUR = OBS_VALUE NOK (UNIT_MULT 2 = per 100 units: JPY, SEK, HUF, …), so
        10**UNIT_MULT becomes RateItem.per. Only business-day rows (FREQ "B") are rates of a day;
        monthly/annual averages are skipped, as are the trade-weighted indices I44 and TWI, which
        are not currencies. Norges Bank publishes around 16:00 Europe/Oslo: the instant recorded.
Bases:  one request returns every currency against NOK, so the `bases` argument is ignored.
Errors: never raises on an odd body: anything without those columns yields [] and so closes
        the crawl as "parsed no rates"; a bad date or number in a proper row raises ValueError
        and fails the crawl loudly.
"""

import csv
import io
from collections.abc import Iterable, Iterator
from datetime import date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

import scrapy
from scrapy.http import TextResponse

from scrapers.items import RateItem
from scrapers.numbers import rate_text

from .base import RateSpider

OSLO = ZoneInfo("Europe/Oslo")
PUBLISHED_AT = time(16, 0)
INDICES = {"I44", "TWI"}
COLUMNS = {"FREQ", "BASE_CUR", "QUOTE_CUR", "UNIT_MULT", "TIME_PERIOD", "OBS_VALUE"}


class NorgesBankSpider(RateSpider):
    name = "norges_bank"
    default_base_url = "https://data.norges-bank.no"
    default_bases = ("NOK",)

    async def start(self):
        url = f"{self.base_url}/api/data/EXR/B..NOK.SP?format=csvdata&lastNObservations=1"
        yield scrapy.Request(url, callback=self.parse)

    def parse(self, response: TextResponse) -> Iterator[RateItem]:
        yield from self.emit(parse_norges_bank_csv(response.body), page=response.url)


def parse_norges_bank_csv(body: bytes) -> list[RateItem]:
    # FREQ,BASE_CUR,QUOTE_CUR,TENOR,DECIMALS,CALCULATED,UNIT_MULT,COLLECTION,TIME_PERIOD,OBS_VALUE
    # B,HUF,NOK,SP,4,false,2,C,2026-03-16,2.857
    # B,USD,NOK,SP,4,false,0,C,2026-03-16,9.7134
    return _rows_to_items(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))), decimal=".")


def parse_norges_bank_csv_no(body: bytes) -> list[RateItem]:
    # FREQ;Frekvens;BASE_CUR;Basisvaluta;QUOTE_CUR;Kvoteringsvaluta;TENOR;Løpetid;DECIMALS;
    #   CALCULATED;UNIT_MULT;Multiplikator;COLLECTION;Innsamlingstidspunkt;TIME_PERIOD;OBS_VALUE
    # A;Årlig;SEK;Svenske kroner;NOK;Norske kroner;SP;Spot;2;false;2;Hundre;A;Gjennomsnitt …;2021;
    #   100,19
    text = io.StringIO(body.decode("utf-8-sig"))
    return _rows_to_items(csv.DictReader(text, delimiter=";"), decimal=",")


def _rows_to_items(reader: csv.DictReader, *, decimal: str) -> list[RateItem]:
    if not set(reader.fieldnames or ()) >= COLUMNS:
        return []
    return [_item(row, decimal) for row in _daily_currency_rows(reader)]


def _daily_currency_rows(rows: Iterable[dict]) -> Iterator[dict]:
    for row in rows:
        if row["FREQ"] == "B" and row["BASE_CUR"] not in INDICES and row["OBS_VALUE"]:
            yield row


def _item(row: dict, decimal: str) -> RateItem:
    when = datetime.combine(date.fromisoformat(row["TIME_PERIOD"]), PUBLISHED_AT, tzinfo=OSLO)
    pair = f"{row['BASE_CUR']}/{row['QUOTE_CUR']}"
    rate = rate_text(row["OBS_VALUE"], source="norges_bank", what=pair, decimal=decimal)
    per = Decimal(10) ** int(row["UNIT_MULT"])
    return RateItem(row["BASE_CUR"], row["QUOTE_CUR"], rate, when, per=per)
