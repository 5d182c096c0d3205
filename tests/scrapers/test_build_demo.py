"""manage.py build_demo: the table behind the demo's aggregator responses, and how each source's
numbers are printed. (That the committed files are its output, and that they parse and cover
every active currency, is tested in test_serve_fixtures.)"""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from scrapers.management.commands.build_demo import (
    exchangerate_api,
    fawazahmed0,
    floating,
    floatrates,
    open_er_api,
    per_euro,
    significant,
)
from scrapers.management.commands.serve_fixtures import render
from scrapers.spiders.exchangerate_api import parse_exchangerate_api
from scrapers.spiders.fawazahmed0 import parse_fawazahmed0
from scrapers.spiders.floatrates import parse_floatrates_json
from scrapers.spiders.open_er_api import parse_open_er_api


def table(tmp_path, *rows: str):
    path = tmp_path / "rates.csv"
    path.write_text("code,rate,per,origin\n" + "".join(f"{row}\n" for row in rows))
    return path


def test_per_euro_follows_pegs_to_the_euro(tmp_path):
    values = per_euro(
        table(tmp_path, "NPR,1.6,INR,peg", "INR,106.084,EUR,ecb", "USD,1.1172,EUR,ecb")
    )

    assert values == {
        "EUR": Decimal(1),
        "INR": Decimal("106.084"),
        "NPR": Decimal("169.7344"),
        "USD": Decimal("1.1172"),
    }


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (["BTN,1,INR,peg"], "rates.csv: BTN -> INR: no row leads to EUR"),
        (["AAA,1,BBB,x", "BBB,1,AAA,x"], "rates.csv: AAA -> BBB -> AAA: no row leads to EUR"),
        (["USD,abc,EUR,ecb"], "rates.csv: USD: rate 'abc' is not a positive number"),
        (["USD,0,EUR,ecb"], "rates.csv: USD: rate '0' is not a positive number"),
    ],
)
def test_per_euro_names_the_bad_row(tmp_path, rows, message):
    with pytest.raises(ValueError, match="^" + message.replace("(", r"\(").replace(")", r"\)")):
        per_euro(table(tmp_path, *rows))


@pytest.mark.parametrize(
    ("number", "digits", "text"),
    [
        ("89500.0000", 6, "89500"),
        ("0.83333333333333", 6, "0.833333"),
        ("1335.2712", 6, "1335.27"),
        ("0.000748914046", 6, "0.000748914"),
    ],
)
def test_significant_prints_plain_decimals(number, digits, text):
    assert significant(Decimal(number), digits) == text


def test_floating_prints_tiny_numbers_as_the_feeds_do():
    assert floating(Decimal("0.0000111731843575418994"), 14) == "1.1173184357542e-05"
    assert floating(Decimal("157.250268528463"), 9) == "157.250269"


def test_each_writer_parses_back_with_its_spider():
    values = {"EUR": Decimal(1), "USD": Decimal("1.1172"), "KPW": Decimal("1005.48")}
    codes = ["EUR", "KPW", "USD"]

    def body(template: str) -> bytes:
        return render(template, datetime(2026, 11, 25, 15, 22, 22, tzinfo=UTC)).encode()

    oer = {i.target: i.rate for i in parse_open_er_api(body(open_er_api(values, "USD", codes)))}
    floats = parse_floatrates_json(body(floatrates(values, "USD", codes)), "USD")
    fawaz = parse_fawazahmed0(body(fawazahmed0(values, "USD", codes)), "USD")
    keyed = parse_exchangerate_api(body(exchangerate_api(values, "USD", codes)))

    assert oer["KPW"] == Decimal("900")  # 1005.48 / 1.1172, to 6 significant digits
    assert {i.target: i.rate for i in floats} == {
        "EUR": Decimal("0.89509488005729"),
        "KPW": Decimal("900"),
    }
    assert {i.target: i.rate for i in fawaz}["EUR"] == Decimal("0.89509488")
    assert {i.target: i.rate for i in keyed} == {"EUR": Decimal("0.8951"), "KPW": Decimal("900")}
