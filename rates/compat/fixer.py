"""Fixer-compatible API (data.fixer.io/api and apilayer's /fixer), at the original paths under
/fixer/.

    latest          {"success", "timestamp", "base", "date", "rates"}
    YYYY-MM-DD      {"success", "historical": true, "date", "timestamp", "base", "rates"}
    symbols         {"success", "symbols": {code: name}}

Parameters: access_key (or apilayer's `apikey` header, or an `apikey` parameter), base (default
EUR), symbols (comma-separated). The base is in rates at 1 (when every currency, or the base, is
asked for). Unknown parameters are ignored; an empty value of a known one is an error.

Errors keep Fixer's body, {"success": false, "error": {"code", "type", "info"}}, with Fixer's
codes, types and infos (fixer.io documentation's error list, and responses recorded in Fixer
client libraries' test fixtures): 101 missing_access_key / invalid_access_key, 106
no_rates_available, 201 invalid_base_currency, 202 invalid_currency_codes, 302 invalid_date,
105 function_access_restricted, 404 404_not_found;
but with a real HTTP status (Fixer itself answers 200): 401 for a key, 400 for a bad parameter,
404 when no rate answers, 403 for what Koel does not offer. As in Fixer, any other single path
segment is read as a date (so /fixer/foo is 302 invalid_date).
"""

from datetime import UTC

from django.http import HttpRequest, HttpResponse

from rates.http.caching import Answer
from rates.reads import currency_names, known_codes

from .http import CompatError, Layer
from .readings import (
    EARLIEST_DAY,
    Rates,
    base_param,
    depends_on,
    instant_for,
    parse_day,
    read_rates,
    split_codes,
    today,
)

DEFAULT_BASE = "EUR"


# type: (HTTP status, Fixer code, info)
ERRORS = {
    "missing_access_key": (
        401,
        101,
        "You have not supplied an API Access Key. [Required format: access_key=YOUR_ACCESS_KEY]",
    ),
    "invalid_access_key": (
        401,
        101,
        "You have not supplied a valid API Access Key. [Ask a Koel administrator for a key.]",
    ),
    "invalid_base_currency": (
        400,
        201,
        "You have entered an invalid base currency. [Example: base=EUR]",
    ),
    "invalid_currency_codes": (
        400,
        202,
        "You have provided one or more invalid Currency Codes. "
        "[Required format: currencies=EUR,USD,GBP,...]",
    ),
    "invalid_date": (
        400,
        302,
        "You have entered an invalid date. [Required format: date=YYYY-MM-DD]",
    ),
    "no_rates_available": (
        404,
        106,
        "Your query did not return any results. Please try again.",
    ),
    "function_access_restricted": (
        403,
        105,
        "This API endpoint is not available from Koel. [Available: latest, YYYY-MM-DD, symbols]",
    ),
    "404_not_found": (404, 404, "The requested resource does not exist."),
    "method_not_allowed": (405, 405, "Only GET is allowed."),
}


class FixerError(CompatError):
    def __init__(self, kind: str) -> None:
        self.status, self.code, self.info = ERRORS[kind]
        self.kind = kind
        super().__init__(self.info)

    def body(self) -> dict:
        return {
            "success": False,
            "error": {"code": self.code, "type": self.kind, "info": self.info},
        }


def _access_key(request: HttpRequest) -> str:
    """access_key (data.fixer.io), else apilayer's `apikey` header, else an `apikey` parameter."""
    if "access_key" in request.GET:
        return request.GET["access_key"].strip()
    header = request.headers.get("apikey")
    if header is not None:
        return header.strip()
    return request.GET.get("apikey", "").strip()


FIXER = Layer(
    read_key=_access_key,
    missing_key=lambda: FixerError("missing_access_key"),
    invalid_key=lambda: FixerError("invalid_access_key"),
    wrong_method=lambda method: FixerError("method_not_allowed"),
    vary=("apikey",),
)
endpoint = FIXER.endpoint()


@endpoint
def latest(request: HttpRequest) -> HttpResponse:
    base, symbols = _base(request), _symbols(request)

    def build() -> Answer:
        rates = read_rates(base=base, targets=symbols, at=None)
        _require_data(rates, symbols)
        moment = rates.observed_at
        payload = {
            "success": True,
            "timestamp": rates.timestamp,
            "base": base,
            "date": (moment.astimezone(UTC).date() if moment else today()).isoformat(),
            "rates": rates.printed(),
        }
        return Answer(200, payload, last_modified=moment)

    return FIXER.serve(request, build, depends_on=depends_on(base, symbols))


@endpoint
def historical(request: HttpRequest, day: str) -> HttpResponse:
    wanted = parse_day(day)
    if wanted is None:
        raise FixerError("invalid_date")
    if wanted < EARLIEST_DAY or wanted > today():
        raise FixerError("no_rates_available")
    base, symbols = _base(request), _symbols(request)

    def build() -> Answer:
        rates = read_rates(base=base, targets=symbols, at=instant_for(wanted))
        _require_data(rates, symbols)
        payload = {
            "success": True,
            "historical": True,
            "date": wanted.isoformat(),
            "timestamp": rates.timestamp,
            "base": base,
            "rates": rates.printed(),
        }
        return Answer(200, payload, last_modified=rates.observed_at)

    return FIXER.serve(request, build, depends_on=depends_on(base, symbols))


@endpoint
def symbols(request: HttpRequest) -> HttpResponse:
    def build() -> Answer:
        return Answer(200, {"success": True, "symbols": currency_names()})

    return FIXER.serve(request, build, depends_on=())


@endpoint
def restricted(request: HttpRequest) -> HttpResponse:
    """Fixer endpoints Koel does not offer (convert, timeseries, fluctuation)."""
    raise FixerError("function_access_restricted")


@endpoint
def not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    raise FixerError("404_not_found")


def _base(request: HttpRequest) -> str:
    return base_param(
        request, default=DEFAULT_BASE, invalid=lambda raw: FixerError("invalid_base_currency")
    )


def _symbols(request: HttpRequest) -> list[str] | None:
    """The requested codes, all of which Koel must know; None when `symbols` is absent."""
    raw = request.GET.get("symbols")
    if raw is None:
        return None
    codes = split_codes(raw)
    if not codes or not known_codes(codes) >= set(codes):
        raise FixerError("invalid_currency_codes")
    return codes


def _require_data(rates: Rates, symbols: list[str] | None) -> None:
    """No stored rate answered: 106, unless only the base itself (1) was asked for."""
    if rates.lacks(symbols):
        raise FixerError("no_rates_available")
