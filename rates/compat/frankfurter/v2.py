"""Frankfurter v2: rates blended across Koel's sources (the providers), per pair, as JSON
arrays, NDJSON (Accept: application/x-ndjson) or CSV (rates.csv); currencies and providers.

Errors are {"status": …, "message": …}: 422 for what RateQuery refuses (unknown parameters
included), 404 for what is not there. The metadata routes read only their own parameters and
ignore others, as Frankfurter's do (their spec documents no error but 404 for one currency).
"""

import csv
import io

from django.http import HttpRequest, HttpResponse

from rates.http.caching import Answer, cached_answer, json_bytes
from rates.reads import currency_names

from . import data, meta
from .blend import shift
from .http import error, last_values, ok, read_only
from .ruby import float_str, split
from .v2_query import RateQuery, ValidationError

ROOT = {
    "version": "v2",
    "status": "current",
    "openapi": "https://api.frankfurter.dev/v2/openapi.json",
    "docs": "https://frankfurter.dev",
}
NDJSON = "application/x-ndjson"
CSV = "text/csv"
CSV_COLUMNS = ["date", "base", "quote", "rate"]


def _unprocessable(message: str) -> Answer:
    return error(422, {"status": 422, "message": message})


def _not_found() -> Answer:
    return error(404, {"status": 404, "message": "not found"})


def _all_codes() -> set[str]:
    # A blend reads every provider's rows, whatever their base: any write can change it.
    return set(currency_names(include_inactive=True))


def _answer(request: HttpRequest, build, *, vary: tuple = ()) -> HttpResponse:
    return cached_answer(
        request, build, depends_on=_all_codes(), vary=(*vary, data.today().isoformat())
    )


def _format(request: HttpRequest, extension: str | None) -> str:
    """Roda's type_routing: the .csv extension, else a CSV Accept; then NDJSON; else JSON."""
    accept = request.headers.get("Accept", "")
    types = [part.split(";")[0].strip().lower() for part in accept.split(",")]
    if extension or (
        CSV in types
        and ("application/json" not in types or types.index(CSV) < types.index("application/json"))
    ):
        return "csv"
    return "ndjson" if NDJSON in accept else "json"


@read_only
def root(request: HttpRequest) -> HttpResponse:
    return cached_answer(request, lambda: ok(ROOT), depends_on=())


@read_only
def rates(request: HttpRequest, extension: str | None = None) -> HttpResponse:
    params, kind = last_values(request), _format(request, extension)

    def build() -> Answer:
        try:
            query = RateQuery(params)
            records = query.records()
        except ValidationError as exc:
            return _unprocessable(str(exc))
        if kind == "csv":
            return ok(_csv(records, query), content_type=f"{CSV}; charset=utf-8")
        if kind == "ndjson":
            return ok(b"".join(json_bytes(r) + b"\n" for r in records), content_type=NDJSON)
        return ok(records)

    response = _answer(request, build, vary=(kind,))
    response["Vary"] = "Accept"
    return response


def _csv(records: list[dict], query: RateQuery) -> bytes:
    columns = CSV_COLUMNS + (["providers"] if query.expand_providers else [])
    if not records and not query.is_range:
        return b""  # Frankfurter's to_csv writes nothing, not even the header, for no record
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for record in records:
        writer.writerow([_cell(record.get(column)) for column in columns])
    return out.getvalue().encode()


def _cell(value) -> str:
    if isinstance(value, list):
        return "|".join(
            f"{p['key']}:{float_str(p['rate'])}{'*' if p.get('excluded') else ''}" for p in value
        )
    if isinstance(value, float | int):
        return float_str(value)
    return "" if value is None else str(value)


@read_only
def rate(request: HttpRequest, base: str, quote: str) -> HttpResponse:
    params = {**last_values(request), "base": base.upper(), "quotes": quote.upper()}

    def build() -> Answer:
        try:
            records = RateQuery(params).records()
        except ValidationError as exc:
            return _unprocessable(str(exc))
        return ok(records[0]) if records else _not_found()

    return _answer(request, build)


@read_only
def currencies(request: HttpRequest) -> HttpResponse:
    params = last_values(request)

    def build() -> Answer:
        cover = data.coverage()
        spans = meta.by_currency(cover)
        if "providers" in params:
            keys = set(split(params["providers"].upper()))
            wanted = {code for (source, code) in cover if meta.provider_key(source) in keys}
        elif params.get("scope") == "all":
            wanted = set(spans)
        else:  # active: published within the 30 days up to today or to the newest data held
            cutoff = shift(data.latest_anchor(data.providers_newest_day(), window=30), -30)
            wanted = {code for code, (_first, last, _keys) in spans.items() if last >= cutoff}
        koel = meta.koel_currencies(wanted)
        return ok([meta.currency_row(c, *spans[c][:2], koel) for c in sorted(wanted)])

    return _answer(request, build)


@read_only
def currency(request: HttpRequest, code: str) -> HttpResponse:
    code = code.upper()

    def build() -> Answer:
        span = meta.by_currency(data.coverage()).get(code)
        if span is None:
            return _not_found()
        first, last, keys = span
        row = meta.currency_row(code, first, last, meta.koel_currencies([code]))
        return ok({**row, "providers": sorted(keys)})

    return _answer(request, build)


@read_only
def providers(request: HttpRequest) -> HttpResponse:
    return _answer(request, lambda: ok(meta.provider_rows(data.coverage(), data.today())))


def not_acceptable(request: HttpRequest, path: str = "") -> HttpResponse:
    """CSV is offered for rates only: other routes asked as .csv get 406, as Frankfurter's."""
    response = HttpResponse(status=406)
    response["Cache-Control"] = "no-store"
    return response
