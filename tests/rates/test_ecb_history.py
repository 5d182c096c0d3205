import re
import zipfile
from datetime import UTC, date, datetime
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from rates.ingest.ecb_history import EcbDay, import_history, observed_at, parse_history
from rates.models import ExchangeRate, LatestRates

SMALL_CSV = """Date,USD,JPY,RON,
2024-07-01,1.0745,173.15,4.9767,
2024-01-02,1.0956,155.68,N/A,
"""


def import_command(*args: str) -> str:
    out = StringIO()
    call_command("import_ecb_history", "--no-progress", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def ecb_rate(target: str, day: date) -> Decimal | None:
    row = ExchangeRate.objects.filter(
        source="ecb", base="EUR", target=target, observed_at=observed_at(day)
    ).first()
    return row and row.rate


@pytest.fixture
def small_csv(tmp_path):
    path = tmp_path / "eurofxref-hist.csv"
    path.write_text(SMALL_CSV)
    return path


@pytest.mark.parametrize(
    ("day", "instant"),
    [
        (date(1999, 1, 4), datetime(1999, 1, 4, 15, tzinfo=UTC)),  # CET, UTC+1
        (date(2024, 7, 1), datetime(2024, 7, 1, 14, tzinfo=UTC)),  # CEST, UTC+2
        (date(2024, 3, 31), datetime(2024, 3, 31, 14, tzinfo=UTC)),  # summer time began at 02:00
        (date(2024, 10, 27), datetime(2024, 10, 27, 15, tzinfo=UTC)),  # and ended at 03:00
    ],
)
def test_observed_at_is_four_pm_in_frankfurt(day, instant):
    assert observed_at(day) == instant


def test_parse_history_skips_na_cells():
    days = list(parse_history(SMALL_CSV))

    assert days == [
        EcbDay(
            date(2024, 7, 1),
            {"USD": Decimal("1.0745"), "JPY": Decimal("173.15"), "RON": Decimal("4.9767")},
            0,
        ),
        EcbDay(date(2024, 1, 2), {"USD": Decimal("1.0956"), "JPY": Decimal("155.68")}, 1),
    ]


def test_import_history_of_bundled_file_summary(currencies, sources):
    summary = import_history()

    assert (summary.days, summary.first, summary.last) == (
        7126,
        date(1999, 1, 4),
        date(2026, 10, 30),
    )
    assert (summary.rows, summary.written, summary.missing) == (221702, 221702, 70464)
    assert len(summary.currencies) == 41
    assert {"USD", "JPY", "CYP", "ROL", "TRL", "RON", "ZAR"} <= summary.currencies
    assert summary.unknown == set()
    assert ExchangeRate.objects.filter(source="ecb").count() == 221702
    [latest] = LatestRates.objects.filter(source="ecb")
    assert (latest.base_id, len(latest.quote_map)) == ("EUR", 41)
    assert latest.quote_map["USD"] == ["1.1172", "2026-10-30T16:00:00+01:00", False]
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM rates_exchangerate_default")
        assert cursor.fetchone()[0] == 0  # every month got its partition first


def test_import_ecb_history_command_stores_bundled_rates(currencies, sources):
    output = import_command()

    assert "ECB history: 7126 days (1999-01-04 to 2026-10-30), 41 currencies, 221702 rates read, " \
        "221702 new or changed, 70464 N/A cells skipped, in " in output  # fmt: skip
    first = date(1999, 1, 4)
    assert ecb_rate("USD", first) == Decimal("1.1789")
    assert ecb_rate("JPY", first) == Decimal("133.73")
    assert ecb_rate("ROL", first) == Decimal(13111)
    assert ecb_rate("RON", first) is None  # N/A on that day
    assert ecb_rate("USD", date(2024, 7, 1)) == Decimal("1.0745")
    observed = ExchangeRate.objects.filter(target="USD", observed_at__date=first).get().observed_at
    assert observed == datetime(1999, 1, 4, 15, tzinfo=UTC)


def test_import_ecb_history_of_a_file_is_idempotent(currencies, sources, small_csv):
    first = import_command("--file", str(small_csv))
    second = import_command("--file", str(small_csv))

    assert f"Importing 2 days of ECB rates from {small_csv}" in first
    assert "ECB history: 2 days (2024-01-02 to 2024-07-01), 3 currencies, 5 rates read, " \
        "5 new or changed, 1 N/A cells skipped" in first  # fmt: skip
    assert "5 rates read, 0 new or changed" in second
    assert ExchangeRate.objects.count() == 5
    assert ecb_rate("RON", date(2024, 7, 1)) == Decimal("4.9767")


def test_import_ecb_history_picks_up_a_changed_rate(currencies, sources, small_csv):
    import_command("--file", str(small_csv))
    small_csv.write_text(SMALL_CSV.replace("173.15", "173.16"))

    assert "5 rates read, 1 new or changed" in import_command("--file", str(small_csv))
    assert ecb_rate("JPY", date(2024, 7, 1)) == Decimal("173.16")


def test_import_ecb_history_reads_the_zip_the_ecb_publishes(currencies, sources, tmp_path):
    path = tmp_path / "eurofxref-hist.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("eurofxref-hist.csv", SMALL_CSV)

    assert "5 new or changed" in import_command("--file", str(path))
    assert ecb_rate("USD", date(2024, 1, 2)) == Decimal("1.0956")


def test_import_ecb_history_skips_and_reports_unknown_currencies(currencies, sources, tmp_path):
    path = tmp_path / "hist.csv"
    path.write_text("Date,USD,ABC,\n2024-01-02,1.0956,7.5,\n")

    output = import_command("--file", str(path))

    assert "Skipped currencies Koel does not know: ABC" in output
    assert list(ExchangeRate.objects.values_list("target", flat=True)) == ["USD"]


def _zip_without_csv(path):
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "no rates here")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (SMALL_CSV.replace("2024-01-02", "2024-13-02"), "line 3: bad date '2024-13-02'"),
        (SMALL_CSV.replace("1.0956", "1.09.56"), "line 3: bad rate '1.09.56' for USD"),
        (SMALL_CSV.replace("173.15", "abc"), "line 2: bad rate 'abc' for JPY"),
        ("Datum;USD\n2024-01-02;1.1\n", "the first column must be 'Date'"),
        ("<html><body>Not found</body></html>\n", "the first column must be 'Date'"),
        ("", "the first column must be 'Date'"),
        (b"\x89PNG\r\n\x1a\n\x00\xff\xfe", "can't decode"),
        (_zip_without_csv, "the zip holds no .csv file"),
        (SMALL_CSV.replace("173.15", "0"), "row 1: rate: 0 is not positive"),
        (SMALL_CSV.replace("2024-01-02", "2090-01-02"), "is in the future"),
    ],
)
def test_import_ecb_history_rejects_malformed_file(currencies, sources, tmp_path, content, message):
    path = tmp_path / "bad.csv"
    if callable(content):
        content(path)
    elif isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)

    with pytest.raises(CommandError, match=re.escape(message)):
        import_command("--file", str(path))

    assert ExchangeRate.objects.count() == 0
    assert LatestRates.objects.count() == 0


def test_import_ecb_history_missing_file(db, tmp_path):
    with pytest.raises(CommandError, match=r"No such file: .*nowhere\.zip"):
        import_command("--file", str(tmp_path / "nowhere.zip"))


def test_import_ecb_history_bad_rate_late_in_a_long_file_writes_nothing(
    currencies, sources, tmp_path
):
    days = [date.fromordinal(date(2024, 1, 1).toordinal() + n) for n in range(251)]
    lines = [f"{day.isoformat()},1.1," for day in reversed(days[1:])]
    path = tmp_path / "hist.csv"
    path.write_text("\n".join(["Date,USD,", *lines, f"{days[0].isoformat()},0,"]) + "\n")

    with pytest.raises(CommandError, match="0 is not positive"):
        import_command("--file", str(path))

    assert ExchangeRate.objects.count() == 0
