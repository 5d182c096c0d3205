"""The fault site's absurd kinds (reliability/fault_site.py) change every rate a source's saved
response quotes, as its own parser reads it: a fault that leaves a rate right (a unit changed
with the rates, a whole-number rate skipped, a notation the parser rejects) tests nothing."""

import re
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from reliability.fault_site import ABSURD
from scrapers.management.commands.serve_fixtures import load_fixtures, render
from scrapers.spiders import (
    bank_of_canada,
    ecb,
    exchangerate_api,
    fawazahmed0,
    fed_h10,
    floatrates,
    frankfurter,
    fred,
    norges_bank,
    open_er_api,
    wise,
    x_rates,
    yahoo,
)

NOW = datetime(2026, 12, 7, 12, tzinfo=UTC)
# Each source's parser over a fixture body; those needing more take it from the file's name.
PARSERS = {
    "bank_of_canada": lambda body, _: bank_of_canada.parse_bank_of_canada(body),
    "ecb": lambda body, _: ecb.parse_ecb_daily(body),
    "exchangerate_api": lambda body, _: exchangerate_api.parse_exchangerate_api(body),
    "fawazahmed0": lambda body, file: fawazahmed0.parse_fawazahmed0(
        body, re.search(r"currencies-(\w+)", file)[1].upper()
    ),
    "fed_h10": lambda body, _: fed_h10.parse_fed_h10(body),
    "floatrates": lambda body, file: floatrates.parse_floatrates_json(
        body, re.search(r"daily-(\w+)", file)[1].upper()
    ),
    "frankfurter": lambda body, _: frankfurter.parse_frankfurter(body),
    "fred": lambda body, file: fred.parse_fred(body, re.search(r"(DEX\w+)", file)[1]),
    "norges_bank": lambda body, _: norges_bank.parse_norges_bank_csv(body),
    "open_er_api": lambda body, _: open_er_api.parse_open_er_api(body),
    "wise": lambda body, _: wise.parse_wise(body, NOW),
    "x_rates": lambda body, _: x_rates.parse_x_rates(body),
    "yahoo": lambda body, _: yahoo.parse_yahoo_chart(body),
}
FIXTURES = [fixture for fixture in load_fixtures() if fixture.source in PARSERS]


def rates(fixture, text: str) -> dict[tuple[str, str], Decimal]:
    items = PARSERS[fixture.source](text.encode(), fixture.file)
    return {(i.base, i.target): Decimal(i.rate) / Decimal(i.per or 1) for i in items}


def test_every_demo_source_has_a_parser_here():
    assert {fixture.source for fixture in load_fixtures()} <= PARSERS.keys()


SCALINGS = [
    pytest.param("x100", Decimal(100), id="x100"),
    pytest.param("div100", Decimal("0.01"), id="div100"),
]


@pytest.mark.parametrize(("kind", "factor"), SCALINGS)
@pytest.mark.parametrize("fixture", FIXTURES, ids=lambda fixture: fixture.file)
def test_a_scaling_fault_scales_every_rate_the_parser_reads(fixture, kind, factor):
    text = render(fixture.template, NOW)
    right, faulty = rates(fixture, text), rates(fixture, ABSURD[kind](text))
    unchanged = [pair for pair, rate in right.items() if faulty.get(pair) != rate * factor]
    assert right, "the fixture parses to no rates"
    assert not unchanged
