"""European Central Bank euro foreign exchange reference rates (official feed, multi-pair).

URL:    {base_url}/stats/eurofxref/eurofxref-daily.xml   (base_url https://www.ecb.europa.eu)
Rates:  <Cube time="YYYY-MM-DD"> holds one <Cube currency="USD" rate="1.1252"/> per currency.
Units:  1 EUR = rate currency, plain decimals; EUR is the only base. Published around 16:00
        Europe/Berlin on TARGET business days: the instant recorded, as by the history import.
"""

from collections.abc import Iterator
from datetime import date

import scrapy
from lxml import etree
from scrapy.http import TextResponse

from rates.ingest.ecb_history import observed_at
from scrapers.items import RateItem
from scrapers.numbers import rate_text

from .base import RateSpider


class EcbSpider(RateSpider):
    name = "ecb"
    default_base_url = "https://www.ecb.europa.eu"
    default_bases = ("EUR",)

    async def start(self):
        url = f"{self.base_url}/stats/eurofxref/eurofxref-daily.xml"
        yield scrapy.Request(url, callback=self.parse)

    def parse(self, response: TextResponse) -> Iterator[RateItem]:
        yield from self.emit(parse_ecb_daily(response.body), page=response.url)


# Strict, unlike parsel's recovering parser: a feed cut off mid-way must fail as a whole, not
# yield the rates before the cut. No entities, no network: the body is untrusted.
_XML = etree.XMLParser(resolve_entities=False, no_network=True)


def parse_ecb_daily(body: bytes) -> list[RateItem]:
    # <gesmes:Envelope …><Cube><Cube time='2025-05-09'>
    #   <Cube currency='USD' rate='1.1252'/><Cube currency='JPY' rate='163.36'/>…
    try:
        root = etree.fromstring(body, _XML)
    except etree.XMLSyntaxError as exc:
        raise ValueError(f"ecb: not well-formed XML: {exc}") from None  # the message says it all
    days = root.xpath("//*[local-name()='Cube'][@time]")
    if not days:
        return []
    when = observed_at(date.fromisoformat(days[0].get("time")))
    items = []
    for cube in days[0].xpath("*[local-name()='Cube'][@currency]"):
        code = cube.get("currency")
        rate = rate_text(cube.get("rate"), source="ecb", what=f"rate for {code}")
        items.append(RateItem("EUR", code, rate, when))
    return items
