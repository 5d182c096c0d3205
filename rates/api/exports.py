"""A history answer as a file: CSV (text) or an XLSX workbook, chosen by `format=` or Accept.

Both are written from the JSON answer (rates.api.answers.history_answer), so a file holds what
the JSON says. The workbook's History sheet has the CSV's columns and a header row; its Summary
sheet has the JSON's pair, range and summary.

Numbers in the workbook are number cells, written with 16 significant digits (openpyxl's
precision; spreadsheets hold binary doubles and show 15): every rate a source publishes (at most
15 significant digits) reads back exactly as written, while inverse and cross rates (18
significant digits) keep 16. The exact decimals are the JSON's and the CSV's. Instants are date
cells in UTC (a workbook has no time zones), to the millisecond, a spreadsheet's resolution.
"""

import csv
import io
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from rest_framework.renderers import BaseRenderer

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
COLUMNS = ["start", "value", "open", "high", "low", "close", "count", "last_observed_at"]
_INSTANTS = {"start", "last_observed_at"}
_DECIMALS = {"value", "open", "high", "low", "close"}
_DATE_FORMAT = "yyyy-mm-dd hh:mm:ss"


def history_csv(answer: dict) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for point in answer["points"]:
        writer.writerow([point[c] for c in COLUMNS])
    return out.getvalue().encode()


def history_xlsx(answer: dict) -> bytes:
    # Write-only: rows are streamed into the file rather than held as cell objects.
    book = Workbook(write_only=True)
    history = book.create_sheet("History")
    history.append(_header(history, [_utc_label(c) for c in COLUMNS]))
    for point in answer["points"]:
        history.append([_cell(history, point[c], kind=_kind(c)) for c in COLUMNS])
    summary = book.create_sheet("Summary")
    summary.append(_header(summary, ["field", "value"]))
    for name, value, kind in _summary_rows(answer):
        summary.append([name, _cell(summary, value, kind=kind)])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _summary_rows(answer: dict) -> list[tuple[str, object, str]]:
    rows = [(name, answer[name], "plain") for name in ("base", "target", "interval", "path", "via")]
    rows += [(_utc_label(name), answer[name], "instant") for name in ("start", "end")]
    rows += [(name, value, "decimal") for name, value in answer["summary"].items()]
    return rows


def _kind(column: str) -> str:
    if column in _INSTANTS:
        return "instant"
    return "decimal" if column in _DECIMALS else "plain"


def _utc_label(name: str) -> str:
    return f"{name} (UTC)" if name in {*_INSTANTS, "end"} else name


def _header(sheet, names: list[str]) -> list[WriteOnlyCell]:
    cells = [WriteOnlyCell(sheet, name) for name in names]
    for cell in cells:
        cell.font = Font(bold=True)
    return cells


def _cell(sheet, value, *, kind: str) -> WriteOnlyCell:
    if value is None or kind == "plain":
        return WriteOnlyCell(sheet, value)
    if kind == "decimal":
        return WriteOnlyCell(sheet, Decimal(value))
    moment = datetime.fromisoformat(value).astimezone(UTC).replace(tzinfo=None)
    cell = WriteOnlyCell(sheet, moment)
    cell.number_format = _DATE_FORMAT
    return cell


@dataclass(frozen=True)
class Export:
    extension: str
    media_type: str
    write: object  # (answer) -> bytes
    named: bool  # sent with a Content-Disposition filename


EXPORTS = {
    # CSV stays unnamed, as it was: the pair page's link names its download (its `download`
    # attribute), and a Content-Disposition filename would override that.
    "csv": Export("csv", "text/csv", history_csv, named=False),
    "xlsx": Export("xlsx", XLSX, history_xlsx, named=True),
}


def filename(params: dict, extension: str) -> str:
    """e.g. koel-EUR-JPY-day-2024-01-01-2024-01-07.csv: the pair, buckets and days covered."""
    first = params["start_instant"].astimezone(UTC).date()
    # The range is half-open: a range ending at a midnight covers the day before it.
    last = (params["end_instant"] - timedelta(microseconds=1)).astimezone(UTC).date()
    parts = ["koel", params["base"], params["target"], params["interval"], first, last]
    return f"{'-'.join(map(str, parts))}.{extension}"


class _FileRenderer(BaseRenderer):
    """Lets content negotiation choose a file (Accept: text/csv, or the XLSX type); the view
    writes the file itself, so this only passes its bytes on."""

    charset = None

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        return data


class CsvRenderer(_FileRenderer):
    media_type, format = "text/csv", "csv"


class XlsxRenderer(_FileRenderer):
    media_type, format = XLSX, "xlsx"
