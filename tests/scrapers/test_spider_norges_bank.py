from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from scrapers.spiders.norges_bank import parse_norges_bank_csv, parse_norges_bank_csv_no

FIXTURES = Path(__file__).parent / "fixtures" / "norges_bank"
REAL = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "real" / "norges-bank"
REAL_CSVDATA = REAL / "EXR_B..NOK.SP_2026-03-16_to_2026-03-24.csv"
REAL_LOCALE_NO = REAL / "EXR_A.SEK.NOK.SP_format-csv_locale-no_2021-2022.csv"


def test_parse_norges_bank_csv_reads_units_and_skips_indices():
    items = parse_norges_bank_csv((FIXTURES / "EXR_B..NOK.SP_csvdata.csv").read_bytes())

    # 16:00 in Oslo is 15:00 UTC in January (CET) and 14:00 UTC in July (CEST).
    january = datetime(2026, 1, 15, 15, tzinfo=UTC)
    july = datetime(2026, 7, 1, 14, tzinfo=UTC)
    assert [(i.base, i.target, i.rate, i.per, i.observed_at) for i in items] == [
        ("HUF", "NOK", Decimal("3.0412"), Decimal(100), january),
        ("USD", "NOK", Decimal("10.1227"), Decimal(1), january),
        ("USD", "NOK", Decimal("9.8815"), Decimal(1), july),
    ]
    assert items[0].to_row().rate == Decimal("0.030412")


def test_parse_norges_bank_csv_no_reads_semicolons_and_decimal_commas():
    items = parse_norges_bank_csv_no((FIXTURES / "EXR_B..NOK.SP_csv_locale-no.csv").read_bytes())

    january = datetime(2026, 1, 15, 15, tzinfo=UTC)
    assert [(i.base, i.target, i.rate, i.per, i.observed_at) for i in items] == [
        ("SEK", "NOK", Decimal("109.85"), Decimal(100), january),
        ("EUR", "NOK", Decimal("11.7405"), Decimal(1), january),
    ]


@pytest.mark.parametrize("parse", [parse_norges_bank_csv, parse_norges_bank_csv_no])
@pytest.mark.parametrize(
    "body",
    [b"", b"<html><body>503 Service Unavailable</body></html>", b"FREQ,BASE_CUR\nB,USD\n"],
)
def test_parse_norges_bank_of_a_body_without_the_columns_is_empty(parse, body):
    assert parse(body) == []


def test_parse_norges_bank_of_the_other_format_is_empty():
    csvdata = (FIXTURES / "EXR_B..NOK.SP_csvdata.csv").read_bytes()
    locale_no = (FIXTURES / "EXR_B..NOK.SP_csv_locale-no.csv").read_bytes()

    assert parse_norges_bank_csv(locale_no) == []
    assert parse_norges_bank_csv_no(csvdata) == []


def test_parse_norges_bank_csv_of_a_malformed_row_raises():
    header = b"FREQ,BASE_CUR,QUOTE_CUR,TENOR,DECIMALS,CALCULATED,UNIT_MULT,COLLECTION,TIME_PERIOD,"
    with pytest.raises(ValueError, match="isoformat"):
        parse_norges_bank_csv(header + b"OBS_VALUE\nB,USD,NOK,SP,4,false,0,C,16.03.2026,9.7\n")


@pytest.mark.skipif(not REAL.exists(), reason="shared real captures not present")
def test_parse_norges_bank_csv_on_the_real_capture():
    items = parse_norges_bank_csv(REAL_CSVDATA.read_bytes())

    # 38 series over 7 business days, less the two indices (I44, TWI).
    assert len(items) == 36 * 7
    assert {i.target for i in items} == {"NOK"}
    assert not {"I44", "TWI"} & {i.base for i in items}
    first = datetime(2026, 3, 16, 15, tzinfo=UTC)  # 16:00 CET
    by_base = {i.base: i for i in items if i.observed_at == first}
    assert (by_base["USD"].rate, by_base["USD"].per) == (Decimal("9.7134"), Decimal(1))
    assert (by_base["JPY"].rate, by_base["JPY"].per) == (Decimal("6.1037"), Decimal(100))
    assert (by_base["HUF"].rate, by_base["HUF"].per) == (Decimal("2.857"), Decimal(100))
    assert sum(1 for i in items if i.per == 100) == 21 * 7


@pytest.mark.skipif(not REAL.exists(), reason="shared real captures not present")
def test_parse_norges_bank_csv_no_skips_the_real_annual_averages():
    # The real locale=no capture is annual (FREQ "A"): averages, not a day's rate.
    assert parse_norges_bank_csv_no(REAL_LOCALE_NO.read_bytes()) == []
    assert parse_norges_bank_csv(REAL_LOCALE_NO.read_bytes()) == []
