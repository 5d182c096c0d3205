"""A real crawl of each multi-pair source the other crawl tests do not cover, against the local
replay server: what lands in the table is exactly what the source's parser read from the page
(the parsers' own tests pin those values), normalised (known codes, 1 base = rate target)."""

from functools import partial
from pathlib import Path

import pytest

from rates.models import Currency, ExchangeRate
from scrapers.spiders.bank_of_canada import parse_bank_of_canada
from scrapers.spiders.fawazahmed0 import parse_fawazahmed0
from scrapers.spiders.frankfurter import parse_frankfurter
from scrapers.spiders.norges_bank import parse_norges_bank_csv

from .crawling import crawl, load_reference_data
from .replay import ReplayServer, file_route

FIXTURES = Path(__file__).parent / "fixtures"

CASES = {
    "bank_of_canada": (
        "/valet/observations/group/FX_RATES_DAILY/json",
        "bank_of_canada/FX_RATES_DAILY.json",
        "application/json",
        [],
        parse_bank_of_canada,
    ),
    "norges_bank": (
        "/api/data/EXR/B..NOK.SP",
        "norges_bank/EXR_B..NOK.SP_csvdata.csv",
        "text/csv",
        [],
        parse_norges_bank_csv,
    ),
    "frankfurter": (
        "/v1/latest",
        "frankfurter/latest-base-USD.json",
        "application/json",
        ["--base", "USD"],
        parse_frankfurter,
    ),
    "fawazahmed0": (
        "/v1/currencies/usd.json",
        "fawazahmed0/currencies_usd.json",
        "application/json",
        ["--base", "USD"],
        partial(parse_fawazahmed0, base="USD"),
    ),
}


@pytest.mark.parametrize("source", sorted(CASES))
def test_crawl_stores_exactly_what_the_page_says(transactional_db, source):
    path, fixture, content_type, args, parse = CASES[source]
    load_reference_data(source)
    known = set(Currency.objects.values_list("code", flat=True))
    rows = [item.to_row() for item in parse((FIXTURES / fixture).read_bytes())]
    expected = {
        (row.base, row.target, row.rate, row.observed_at)
        for row in rows
        if {row.base, row.target} <= known
    }
    unknown = len(rows) - len(expected)  # rejected by the validation, logged, not stored

    with ReplayServer({path: file_route(FIXTURES / fixture, content_type)}) as server:
        result = crawl(source, *args, "--base-url", server.url)

    assert result.returncode == 0, result.stderr[-2000:]
    rejected = f", {unknown} rejected" if unknown else ""
    assert f"{len(rows)} rates read{rejected}, {len(expected)} new or changed" in result.stdout
    stored = {
        (r.base_id, r.target_id, r.rate, r.observed_at)
        for r in ExchangeRate.objects.filter(source_id=source)
    }
    assert stored == expected
    assert expected  # the fixture has rates Koel knows
