"""x-rates.com rates tables, today's or a past day's (HTML, multi-pair, ~50 targets per base).

URL:    {base_url}/table/?from={BASE}&amount=1                      (today, updated through the day)
        {base_url}/historical/?from={BASE}&amount=1&date=YYYY-MM-DD  (spider argument `date`)
        (base_url https://www.x-rates.com; base upper-case)
Rates:  the page has two tables of class `ratesTable`: a "Top 10" subset first, then the full
        alphabetical one, `table.tablesorter.ratesTable`, which is the one read. Each `tbody tr` is
        <td>Euro</td><td class='rtRates'><a href='…/graph/?from=USD&amp;to=EUR'>0.865989</a></td>
        <td class='rtRates'><a href='…/graph/?from=EUR&amp;to=USD'>1.154749</a></td>.
        The target code is only in the first link's `to=` (absolute links today, relative
        `/graph/?…` in 2014); the second cell is the inverse and is not read (it is rounded to
        6 dp, so 1/inverse would be less exact than the direct figure).
Units:  the first `th.rtHeaderValues` says "1.00 USD": that amount of the base buys the figure in
        the first cell. The spider asks for amount=1; another amount becomes RateItem.per. Figures
        are plain decimals with 6 dp and no thousands separators (IRR 1374507.511391); a comma
        grouping ("1,374,507.51") is accepted and stripped, anything else raises ValueError.
Time:   `span.ratesTimestamp` above the table, "Jun 10, 2026 11:22 UTC" (minute precision, UTC);
        on a historical page it is that day's fixing time (16:00 or 17:00 UTC).
Errors: a page without the alphabetical table, such as a historical day x-rates has no data for
        (HTTP 200 with <div class='norates'>Rates not available on requested date…</div>) or a
        changed layout, parses to [] and the spider's emit() fails the crawl. A table whose rows do
        not read (no code in the link, a link for another base, a number that is not one, no
        timestamp) raises ValueError.
"""

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import scrapy
from parsel import Selector
from scrapy.http import TextResponse

from scrapers.items import ONE, RateItem
from scrapers.numbers import rate_text

from .base import RateSpider

TABLE = "//table[contains(concat(' ', normalize-space(@class), ' '), ' tablesorter ')]"
STAMP = re.compile(r"([A-Z][a-z]{2}) (\d{1,2}), (\d{4}) (\d{1,2}):(\d{2}) UTC")
MONTHS = {
    month: number
    for number, month in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
    )
}
HEADER = re.compile(r"([\d,]+(?:\.\d+)?) ([A-Z]{3})")


class XRatesSpider(RateSpider):
    """One table page per base; `date` (YYYY-MM-DD) asks for that day's historical table."""

    name = "x_rates"
    default_base_url = "https://www.x-rates.com"

    def __init__(self, *args, date: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        # Checked here so that a typo fails before any request, not as an empty page.
        self.date = _iso_date(date).isoformat() if date else ""

    async def start(self):
        for base in self.bases:
            if self.date:
                url = f"{self.base_url}/historical/?from={base}&amount=1&date={self.date}"
            else:
                url = f"{self.base_url}/table/?from={base}&amount=1"
            yield scrapy.Request(url, callback=self.parse)

    def parse(self, response: TextResponse) -> Iterator[RateItem]:
        yield from self.emit(parse_x_rates(response.body), page=response.url)


def _iso_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"x_rates: date must be YYYY-MM-DD, got {value!r}") from None


def parse_x_rates(body: bytes) -> list[RateItem]:
    # <span class="ratesTimestamp">Jun 10, 2026 11:22 UTC</span>
    # <table class="tablesorter ratesTable" …><thead><tr><th …>US Dollar</th>
    #   <th class='rtHeader rtHeaderValues'>1.00 USD</th><th …>inv. 1.00 USD</th></tr></thead>
    # <tbody><tr><td>Argentine Peso</td>
    #   <td class='rtRates'><a href='https://www.x-rates.com/graph/?from=USD&amp;to=ARS'>1442.027805</a></td>
    #   <td class='rtRates'><a href='https://www.x-rates.com/graph/?from=ARS&amp;to=USD'>0.000693</a></td>
    page = Selector(text=body.decode("utf-8", errors="replace"))
    table = page.xpath(TABLE)
    rows = table.xpath(".//tbody/tr[td[contains(@class, 'rtRates')]]")
    if not rows:
        return []
    amount, base = _header(table.xpath(".//th[contains(@class, 'rtHeaderValues')][1]//text()"))
    when = _timestamp(table.xpath("preceding::span[@class='ratesTimestamp'][1]//text()"))
    per = amount if amount != ONE else ONE
    items = []
    for row in rows:
        link = row.xpath("./td[contains(@class, 'rtRates')][1]/a")
        query = parse_qs(urlsplit(link.xpath("@href").get(default="")).query)
        source, target = query.get("from", [""])[0], query.get("to", [""])[0]
        if source.upper() != base or not re.fullmatch(r"[A-Za-z]{3}", target):
            raise ValueError(f"x_rates: row link is not {base} to a currency: {link.get()!r:.120}")
        rate = _number("".join(link.xpath(".//text()").getall()), what=f"rate for {target}")
        if target.upper() != base:
            items.append(RateItem(base, target.upper(), rate, when, per=per))
    return items


def _header(texts) -> tuple[Decimal, str]:
    match = HEADER.fullmatch(" ".join("".join(texts.getall()).split()))
    if not match:
        raise ValueError(f"x_rates: no '1.00 BASE' column header: {texts.getall()!r}")
    return _number(match[1], what="amount"), match[2]


def _timestamp(texts) -> datetime:
    match = STAMP.fullmatch(" ".join("".join(texts.getall()).split()))
    if not match or match[1] not in MONTHS:
        raise ValueError(f"x_rates: no 'Mon D, YYYY HH:MM UTC' timestamp: {texts.getall()!r}")
    month, day, year, hour, minute = MONTHS[match[1]], *map(int, match.groups()[1:])
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def _number(text: str, *, what: str) -> Decimal:
    return rate_text(text, source="x_rates", what=what, grouping=True)
