"""Federal Reserve H.10 foreign exchange rates, Data Download Program CSV (official, multi-pair).

URL:    {base_url}/datadownload/Output.aspx?rel=H10&series={series}&lastobs={lastobs}&from=&to=
        &filetype=csv&label=include&layout=seriescolumn&type=package
        (base_url https://www.federalreserve.gov). `series` is the DDP's id of a saved selection;
        the default, 60f32914ab61dfab590e0e470153e3ae, is the selection of H.10 daily rates that
        public scripts use for the whole package (not checked against a live download here: the
        only real capture is a 5-series selection, FRB_H10.csv). `lastobs` (default 10) is the
        number of most recent days. Both are spider arguments.
Rates:  a wide CSV, one column per series, with five labelled metadata rows first:
            Series Description,AUSTRALIA -- SPOT EXCHANGE RATE US$/AU$ …,…,"JAPAN -- … YEN/US$ "
            Unit:,Currency:_Per_AUD,…,Currency:_Per_USD
            Multiplier:,1,…,0.01,1
            Currency:,USD,…,JPY
            Unique Identifier: ,H10/H10/RXI$US_N.B.AL,…,H10/H10/RXI_N.B.JA
            Time Period,RXI$US_N.B.AL,…,RXI_N.B.JA
            2018/12/21,0.7072,1.1402,0.6726,1.2681,111.14
        Rows are found by their label, columns by position under them; dates are YYYY/M/D and
        "ND" marks a day without a rate (skipped).
Units:  read per column from the header rows, never assumed from the series name: "Unit:
        Currency:_Per_AUD" with "Currency: USD" means USD per 1 AUD, i.e. 1 AUD = value USD
        (RXI$US_* series: AUD, EUR, NZD, GBP); "Unit: Currency:_Per_USD" with "Currency: JPY" means
        1 USD = value JPY (RXI_* series). Each column is stored the way it is quoted. The
        Multiplier row is NOT applied: the UK column says 0.01, a leftover of the series once
        being kept in cents per pound, yet its values (2.3938 in 1971, 1.2681 in 2018) are dollars
        per pound like every other column. Columns whose unit is not "Currency:_Per_XXX" (the
        dollar indexes of the H.10 index package) are skipped.
Time:   H.10 rates are noon buying rates in New York: 12:00 America/New_York of the row's date.
Bases:  one download holds every selected currency against USD, so `bases` is ignored.
Errors: a body without the "Unit:", "Currency:" and "Time Period" rows (an HTML error page, an
        empty download) parses to [] and fails the crawl; a malformed date or value raises.
"""

import csv
import io
import re
from collections.abc import Iterator
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import scrapy
from scrapy.http import TextResponse

from scrapers.items import RateItem
from scrapers.numbers import rate_text

from .base import RateSpider

NEW_YORK = ZoneInfo("America/New_York")
NOON = time(12, 0)
MISSING = "ND"
PER_UNIT = re.compile(r"Currency:_Per_([A-Z]{3})")
CODE = re.compile(r"[A-Z]{3}")
RATES_PACKAGE = "60f32914ab61dfab590e0e470153e3ae"


class FedH10Spider(RateSpider):
    name = "fed_h10"
    default_base_url = "https://www.federalreserve.gov"

    def __init__(self, *args, series: str = RATES_PACKAGE, lastobs: str = "10", **kwargs):
        super().__init__(*args, **kwargs)
        if not re.fullmatch(r"[0-9a-f]{32}", series) or not lastobs.isdigit():
            raise ValueError(f"fed_h10: bad series {series!r} or lastobs {lastobs!r}")
        self.series, self.lastobs = series, int(lastobs)

    async def start(self):
        url = (
            f"{self.base_url}/datadownload/Output.aspx?rel=H10&series={self.series}"
            f"&lastobs={self.lastobs}&from=&to=&filetype=csv&label=include&layout=seriescolumn"
            "&type=package"
        )
        yield scrapy.Request(url, callback=self.parse)

    def parse(self, response: TextResponse) -> Iterator[RateItem]:
        yield from self.emit(parse_fed_h10(response.body), page=response.url)


def parse_fed_h10(body: bytes) -> list[RateItem]:
    reader = csv.reader(io.StringIO(body.decode("utf-8-sig", errors="replace")))
    labels: dict[str, list[str]] = {}
    for row in reader:
        if not row:
            continue
        label = row[0].strip()
        labels[label] = [cell.strip() for cell in row[1:]]
        if label == "Time Period":
            break
    else:
        return []  # no header: not an H.10 download
    units, currencies = labels.get("Unit:"), labels.get("Currency:")
    if units is None or currencies is None:
        return []
    columns = {
        index: pair for index, pair in enumerate(map(_pair, units, currencies)) if pair is not None
    }
    items = []
    for row in reader:
        if not row or not row[0].strip():
            continue
        when = datetime.combine(_date(row[0]), NOON, tzinfo=NEW_YORK)
        for index, (base, target) in columns.items():
            cell = row[index + 1].strip() if index + 1 < len(row) else MISSING
            if cell and cell != MISSING:
                rate = rate_text(cell, source="fed_h10", what=f"{base}/{target}")
                items.append(RateItem(base, target, rate, when))
    return items


def _pair(unit: str, currency: str) -> tuple[str, str] | None:
    """("Currency:_Per_AUD", "USD") → ("AUD", "USD"): value USD per 1 AUD, so 1 AUD = value USD."""
    match = PER_UNIT.fullmatch(unit)
    if not match or not CODE.fullmatch(currency) or match[1] == currency:
        return None
    return match[1], currency


def _date(text: str) -> date:
    parts = text.strip().split("/")
    if len(parts) != 3 or not all(part.isdigit() for part in parts):
        raise ValueError(f"fed_h10: date is not YYYY/M/D: {text!r}")
    year, month, day = map(int, parts)
    return date(year, month, day)
