"""GET /api/v1/rates/history/ as a file: CSV and XLSX, by `format=` or Accept; the workbook
holds what the JSON answer says."""

import io
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from rates.api.exports import XLSX

HISTORY = reverse("api:history")
RANGE = {"start": "2024-01-01", "end": "2024-01-07"}


@pytest.fixture
def market(store):
    store(
        "ecb",
        ("EUR", "JPY", "155.61", "2024-01-02T15:00"),
        ("EUR", "JPY", "156.08", "2024-01-03T15:00:00.250"),
        ("EUR", "JPY", "157.70", "2024-01-05T15:00"),
    )


def utc_naive(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC).replace(tzinfo=None)


def in_cell(decimal: str) -> float:
    """What a number cell holds: the decimal to 16 significant digits."""
    return float(format(Decimal(decimal), ".16g"))


def workbook(response):
    return load_workbook(io.BytesIO(response.content))


@pytest.mark.parametrize(("base", "target"), [("EUR", "JPY"), ("JPY", "EUR")])
def test_xlsx_history_sheet_equals_the_json_points(client, market, base, target):
    # JPY -> EUR is the inverse of the stored pair: 18 significant digits, more than a double.
    params = {"base": base, "target": target, **RANGE}
    points = client.get(HISTORY, params).json()["points"]

    response = client.get(HISTORY, {**params, "format": "xlsx"})

    assert response["Content-Type"] == XLSX
    rows = list(workbook(response)["History"].iter_rows(values_only=True))
    assert rows[0] == (
        "start (UTC)", "value", "open", "high", "low", "close", "count", "last_observed_at (UTC)"
    )  # fmt: skip
    assert rows[1:] == [
        (
            utc_naive(p["start"]),
            *(in_cell(p[c]) for c in ("value", "open", "high", "low", "close")),
            p["count"],
            utc_naive(p["last_observed_at"]),
        )
        for p in points
    ]
    assert len(rows) == 4
    if base == "JPY":
        assert len(points[0]["value"]) > 18
        assert rows[1][1] == in_cell(points[0]["value"])


def test_xlsx_cells_are_numbers_and_dates(client, market):
    response = client.get(HISTORY, {"base": "EUR", "target": "JPY", **RANGE, "format": "xlsx"})

    first = next(workbook(response)["History"].iter_rows(min_row=2, max_row=2))
    assert [cell.data_type for cell in first] == ["d", "n", "n", "n", "n", "n", "n", "d"]
    assert first[0].number_format == "yyyy-mm-dd hh:mm:ss"
    assert first[1].value == 155.61  # a source's rate reads back as written


def test_xlsx_instants_keep_milliseconds(client, market):
    response = client.get(HISTORY, {"base": "EUR", "target": "JPY", **RANGE, "format": "xlsx"})

    observed = [row[7] for row in workbook(response)["History"].iter_rows(values_only=True)]
    assert observed[2] == datetime(2024, 1, 3, 15, 0, 0, 250000)  # noqa: DTZ001 - cells are UTC


def test_xlsx_summary_sheet_equals_the_json_summary(client, market):
    params = {"base": "EUR", "target": "JPY", **RANGE}
    answer = client.get(HISTORY, params).json()

    response = client.get(HISTORY, {**params, "format": "xlsx"})

    summary = dict(workbook(response)["Summary"].iter_rows(min_row=2, values_only=True))
    assert summary == {
        "base": "EUR",
        "target": "JPY",
        "interval": "day",
        "path": "direct",
        "via": None,
        "start (UTC)": utc_naive(answer["start"]),
        "end (UTC)": utc_naive(answer["end"]),
        **{name: in_cell(value) for name, value in answer["summary"].items()},
    }


@pytest.mark.parametrize(
    ("fmt", "accept", "media"),
    [
        ("xlsx", None, XLSX),
        (None, XLSX, XLSX),
        ("csv", None, "text/csv"),
        (None, "text/csv", "text/csv"),
    ],
)
def test_files_are_chosen_by_format_or_accept(client, market, fmt, accept, media):
    params = {"base": "EUR", "target": "JPY", **RANGE}
    if fmt:
        params["format"] = fmt
    headers = {"HTTP_ACCEPT": accept} if accept else {}

    response = client.get(HISTORY, params, **headers)

    assert (response.status_code, response["Content-Type"]) == (200, media)
    # A workbook is named; a CSV is not (the pair page's link names its own download).
    named = 'attachment; filename="koel-EUR-JPY-day-2024-01-01-2024-01-07.xlsx"'
    assert response.get("Content-Disposition") == (named if media == XLSX else None)


def test_format_wins_over_accept(client, market):
    params = {"base": "EUR", "target": "JPY", **RANGE, "format": "json"}

    response = client.get(HISTORY, params, HTTP_ACCEPT=XLSX)

    assert response["Content-Type"] == "application/json"
    assert "Content-Disposition" not in response


def test_answers_negotiated_by_accept_are_cached_apart(client, market):
    params = {"base": "EUR", "target": "JPY", **RANGE}
    client.get(HISTORY, params, HTTP_ACCEPT=XLSX)  # cached first

    response = client.get(HISTORY, params)

    assert response["Content-Type"] == "application/json"
    assert response.json()["points"][0]["value"] == "155.61"


@pytest.mark.parametrize("accept", [XLSX, "text/csv", "image/png"])
def test_errors_are_json_when_a_file_was_asked(client, market, accept):
    params = {"base": "EUR", "target": "JPY", "interval": "fortnight"}

    response = client.get(HISTORY, params, HTTP_ACCEPT=accept)

    assert response["Content-Type"] == "application/json"
    assert response.status_code == (406 if accept == "image/png" else 400)
    if accept != "image/png":
        assert response.json()["error"]["field"] == "interval"


def test_unknown_format_is_a_400_naming_it(client, market):
    response = client.get(HISTORY, {"base": "EUR", "target": "JPY", "format": "ods"})

    assert (response.status_code, response.json()["error"]["field"]) == (400, "format")


def test_history_in_five_minute_buckets(client, store):
    store(
        "ecb",
        ("EUR", "USD", "1.1", "2024-01-02T10:01"),
        ("EUR", "USD", "1.2", "2024-01-02T10:04"),
        ("EUR", "USD", "1.3", "2024-01-02T10:05"),
    )
    params = {"base": "EUR", "target": "USD", **RANGE, "interval": "5min"}

    points = client.get(HISTORY, params).json()["points"]

    assert [(p["start"], p["open"], p["close"]) for p in points] == [
        ("2024-01-02T10:00:00+00:00", "1.1", "1.2"),
        ("2024-01-02T10:05:00+00:00", "1.3", "1.3"),
    ]
