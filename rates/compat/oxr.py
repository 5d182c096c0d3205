"""Open Exchange Rates-compatible API, at the original paths under /api/.

    latest.json                        latest rates              app_id required
    historical/YYYY-MM-DD.json         rates at the end of a day app_id required
    currencies.json                    code -> name              open
    time-series.json?start=&end=       rates for each day        app_id required
    convert/{value}/{from}/{to}        one conversion            app_id required

Shapes follow OXR's documentation (docs.openexchangerates.org: /latest.json, /historical/*.json,
/currencies.json, /time-series.json, /convert, "Errors", "Authentication", "Get Specific
Currencies"): rate answers carry disclaimer, license, timestamp, base and rates (the base in
rates at 1), the time series start_date, end_date, base and rates by date (no timestamp), the
conversion request, meta {timestamp, rate} and response. Errors are
{"error": true, "status": …, "message": …, "description": …} with the HTTP status of `status`:
missing_app_id / invalid_app_id 401, not_allowed 403, not_found 404, invalid_base 400, and
not_available 400 for a date without rates (as recorded in OXR client libraries' test
fixtures; those also show not_allowed as 403, where the errors page now says 429). Messages OXR
does not document (invalid_symbols, invalid_date, invalid_date_range, invalid_parameter,
invalid_value, invalid_currency, method_not_allowed) are Koel's, in the same shape.

The key is the app_id query parameter or an "Authorization: Token <key>" header (the parameter
wins, as documented), checked by rates.compat.keys.key_is_valid before any cached answer is
looked up. Unknown query parameters are ignored; an empty or malformed value of a known one is a
4xx. Symbols Koel does not know are left out of the answer ("where available"); none at all is an
error.
"""

import calendar
import re
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from functools import wraps

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from rates.http.caching import Answer
from rates.reads import MAX_AMOUNT_DIGITS, apply_rate, currency_digits, pivots

from .keys import key_is_valid
from .readings import (
    EARLIEST_DAY,
    Rates,
    currency_names,
    depends_on,
    error_response,
    instant_for,
    known_codes,
    number,
    parse_code,
    parse_day,
    parse_flag,
    read_rates,
    read_series,
    serve,
    split_codes,
    today,
    unix,
)

DEFAULT_BASE = "USD"
# "The maximum query period currently allowed is one month" (time-series.json); OXR's advice is
# to ask for the 1st to the 31st, so the end may be up to 31 days after the start.
MAX_SERIES_SPAN_DAYS = 31
_AMOUNT = re.compile(r"[0-9]{1,40}(\.[0-9]{0,40})?|\.[0-9]{1,40}")
_ECHO = 32  # characters of a rejected value quoted back in a description

DISCLAIMER = getattr(
    settings,
    "KOEL_COMPAT_DISCLAIMER",
    "Usage subject to terms: rates collected by Koel from public sources, provided without any "
    "warranty of accuracy, availability or fitness for any purpose.",
)
LICENSE = getattr(
    settings,
    "KOEL_COMPAT_LICENSE",
    "Data from the public sources Koel collects (e.g. the ECB's euro reference rates); "
    "each source's terms apply.",
)


class OxrError(Exception):
    def __init__(self, status: int, message: str, description: str) -> None:
        super().__init__(description)
        self.status, self.message, self.description = status, message, description

    def body(self) -> dict:
        return {
            "error": True,
            "status": self.status,
            "message": self.message,
            "description": self.description,
        }


def endpoint(*, key_required: bool = True) -> Callable:
    """GET/HEAD only, the key checked first where OXR wants one, OxrError as OXR's error body."""

    def decorate(view: Callable) -> Callable:
        @csrf_exempt
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            try:
                if request.method not in ("GET", "HEAD"):
                    raise OxrError(
                        405, "method_not_allowed", f"{request.method} is not allowed; use GET."
                    )
                if key_required:
                    _require_key(request)
                return view(request, *args, **kwargs)
            except OxrError as error:
                return error_response(error.body(), error.status)

        return wrapper

    return decorate


# --- endpoints ---------------------------------------------------------------------------------


@endpoint()
def latest(request: HttpRequest) -> HttpResponse:
    base, symbols, pretty = _rates_query(request)

    def build() -> Answer:
        rates = read_rates(base=base, targets=symbols, at=None)
        _require_data(
            rates, symbols, OxrError(400, "not_available", f"No rates for {base} are available.")
        )
        return Answer(200, _rates_payload(rates), last_modified=rates.observed_at)

    return _serve(request, build, depends_on(base, symbols), pretty)


@endpoint()
def historical(request: HttpRequest, day: str) -> HttpResponse:
    wanted = parse_day(day)
    if wanted is None:
        raise OxrError(
            400,
            "invalid_date",
            f"Invalid date [{day[:_ECHO]}] - please give a date in the format YYYY-MM-DD.",
        )
    if wanted < EARLIEST_DAY or wanted > today():
        raise _not_available(wanted)
    base, symbols, pretty = _rates_query(request)

    def build() -> Answer:
        rates = read_rates(base=base, targets=symbols, at=instant_for(wanted))
        _require_data(rates, symbols, _not_available(wanted))
        return Answer(200, _rates_payload(rates), last_modified=rates.observed_at)

    return _serve(request, build, depends_on(base, symbols), pretty)


@endpoint(key_required=False)
def currencies(request: HttpRequest) -> HttpResponse:
    show_inactive = _flag(request, "show_inactive")
    _flag(request, "show_alternative")  # Koel has no alternative (unofficial) rates to add
    pretty = _flag(request, "prettyprint")

    def build() -> Answer:
        return Answer(200, currency_names(include_inactive=show_inactive))

    return _serve(request, build, (), pretty, vary=())


@endpoint()
def time_series(request: HttpRequest) -> HttpResponse:
    start = _series_day(request, "start")
    end = _series_day(request, "end", correct=True)
    if start > end:
        raise OxrError(
            400, "invalid_date_range", "`start` must not be after `end` (both YYYY-MM-DD)."
        )
    if (end - start).days > MAX_SERIES_SPAN_DAYS:
        raise OxrError(
            400,
            "invalid_date_range",
            "The maximum query period is one month: `end` may be at most "
            f"{MAX_SERIES_SPAN_DAYS} days after `start`; request months sequentially.",
        )
    if start < EARLIEST_DAY or start > today():
        raise _not_available(start)
    base, symbols, pretty = _rates_query(request)

    def build() -> Answer:
        series = read_series(base=base, targets=symbols, start=start, end=end)
        if not any(rates.has_data for rates in series.values()):
            raise _not_available(start)
        payload = {
            "disclaimer": DISCLAIMER,
            "license": LICENSE,
            "start_date": start.isoformat(),
            "end_date": min(end, today()).isoformat(),
            "base": base,
            "rates": {day.isoformat(): rates.printed() for day, rates in series.items()},
        }
        newest = max(rates.observed_at for rates in series.values() if rates.observed_at)
        return Answer(200, payload, last_modified=newest)

    return _serve(request, build, depends_on(base, symbols), pretty)


@endpoint()
def convert(request: HttpRequest, value: str, base: str, target: str) -> HttpResponse:
    if not _AMOUNT.fullmatch(value):
        raise OxrError(
            400,
            "invalid_value",
            f"Invalid value [{value[:_ECHO]}] - give a plain non-negative number, e.g. 19999.95.",
        )
    amount = Decimal(value)
    source, wanted = parse_code(base), parse_code(target)
    if not known_codes([source]):
        raise _invalid_base(base)
    if not known_codes([wanted]):
        raise OxrError(
            400,
            "invalid_currency",
            f"Invalid `to` currency [{target[:_ECHO]}] - see currencies.json for the codes.",
        )
    pretty = _flag(request, "prettyprint")

    def build() -> Answer:
        rate, converted, observed_at = _conversion(source, wanted, amount)
        payload = {
            "disclaimer": DISCLAIMER,
            "license": LICENSE,
            "request": {
                "query": f"/convert/{value}/{source}/{wanted}",
                "amount": number(amount, exact=True),
                "from": source,
                "to": wanted,
            },
            "meta": {"timestamp": unix(observed_at), "rate": number(rate)},
            "response": number(converted, exact=True),
        }
        return Answer(200, payload, last_modified=observed_at)

    return _serve(request, build, {source, wanted, *pivots()}, pretty)


@endpoint()
def unavailable(request: HttpRequest) -> HttpResponse:
    """OXR routes Koel does not offer (ohlc.json, usage.json): not allowed, as for a plan
    without the feature."""
    raise OxrError(403, "not_allowed", "This route is not available from Koel.")


@endpoint(key_required=False)
def not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    raise OxrError(
        404, "not_found", "The requested route does not exist - see the documented routes."
    )


# --- parameters --------------------------------------------------------------------------------


def _require_key(request: HttpRequest) -> None:
    raw = _app_id(request)
    if not raw:
        raise OxrError(
            401,
            "missing_app_id",
            "No App ID provided - pass your Koel API key as app_id=... or in an "
            "'Authorization: Token ...' header.",
        )
    if not key_is_valid(raw):
        raise OxrError(
            401,
            "invalid_app_id",
            "Invalid App ID provided - ask a Koel administrator for an API key.",
        )


def _app_id(request: HttpRequest) -> str:
    """The app_id parameter, else the token of an 'Authorization: Token <app_id>' header."""
    if "app_id" in request.GET:
        return request.GET["app_id"].strip()
    scheme, _, token = request.headers.get("Authorization", "").strip().partition(" ")
    return token.strip() if scheme.lower() == "token" else ""


def _rates_query(request: HttpRequest) -> tuple[str, list[str] | None, bool]:
    """base, symbols (None: all) and prettyprint, validated; OxrError otherwise."""
    base = _base(request)
    symbols = _symbols(request)
    _flag(request, "show_alternative")  # accepted: Koel has no alternative rates to add
    if _flag(request, "show_bid_ask"):
        raise OxrError(
            403, "not_allowed", "Bid-ask prices are not available from Koel (mid rates only)."
        )
    return base, symbols, _flag(request, "prettyprint")


def _base(request: HttpRequest) -> str:
    raw = request.GET.get("base")
    if raw is None:
        return DEFAULT_BASE
    code = parse_code(raw)
    if not known_codes([code]):
        raise _invalid_base(raw)
    return code


def _symbols(request: HttpRequest) -> list[str] | None:
    """The `symbols` (alias `currencies`) Koel knows, in the order given; None when absent."""
    raw = request.GET.get("symbols", request.GET.get("currencies"))
    if raw is None:
        return None
    codes = split_codes(raw)
    if not codes:
        raise OxrError(
            400,
            "invalid_symbols",
            "`symbols` is empty - give a comma-separated list of currency codes, or leave it out "
            "for every currency.",
        )
    known = known_codes(codes)
    wanted = [code for code in codes if code in known]
    if not wanted:
        raise OxrError(
            400,
            "invalid_symbols",
            f"No currency Koel knows in `symbols` [{raw[:_ECHO]}] - see currencies.json.",
        )
    return wanted


def _flag(request: HttpRequest, name: str) -> bool:
    raw = request.GET.get(name)
    if raw is None:
        return False
    value = parse_flag(raw)
    if value is None:
        raise OxrError(
            400,
            "invalid_parameter",
            f"`{name}` must be true or false (1 or 0), got [{raw[:_ECHO]}].",
        )
    return value


def _series_day(request: HttpRequest, name: str, *, correct: bool = False) -> date:
    raw = request.GET.get(name)
    if not raw:
        raise OxrError(
            400, "invalid_date_range", f"`{name}` is required, as a date in the format YYYY-MM-DD."
        )
    day = parse_day(raw) or (_corrected_backwards(raw) if correct else None)
    if day is None:
        raise OxrError(
            400,
            "invalid_date_range",
            f"Invalid `{name}` [{raw[:_ECHO]}] - give a date in the format YYYY-MM-DD.",
        )
    return day


def _corrected_backwards(raw: str) -> date | None:
    """'2012-02-31' -> 2012-02-29: "Where the requested end date is not a valid calendar date,
    it will be corrected backwards automatically to the nearest valid day" (time-series.json)."""
    if not raw.isascii() or not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", raw):
        return None
    year, month, day = (int(part) for part in raw.split("-"))
    if not (year >= 1 and 1 <= month <= 12 and 29 <= day <= 31):
        return None
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


# --- answers -----------------------------------------------------------------------------------


def _serve(request, build, codes, pretty, vary=("Authorization",)) -> HttpResponse:
    return serve(request, build, depends_on=codes, pretty=pretty, vary=vary)


def _rates_payload(rates: Rates) -> dict:
    return {
        "disclaimer": DISCLAIMER,
        "license": LICENSE,
        "timestamp": rates.timestamp,
        "base": rates.base,
        "rates": rates.printed(),
    }


def _conversion(base: str, target: str, amount: Decimal):
    """(rate, converted amount rounded to the target's minor unit, instant of the data), at the
    rate latest.json answers (blended across sources), rounded as Koel rounds conversions."""
    if amount.adjusted() >= MAX_AMOUNT_DIGITS:
        raise OxrError(400, "invalid_value", f"Value must be below 1E+{MAX_AMOUNT_DIGITS}.")
    rates = read_rates(base=base, targets=[target], at=None)
    rate = rates.rates.get(target)
    if rate is None:
        raise OxrError(
            400, "not_available", f"No rate from {base} to {target} is available - try again later."
        )
    converted = apply_rate(amount, rate, currency_digits([target])[target])
    return rate, converted, rates.observed_at or timezone.now()


def _require_data(rates: Rates, symbols: list[str] | None, error: OxrError) -> None:
    """No stored rate answered: an error, unless only the base itself (1) was asked for."""
    asks_others = symbols is None or any(code != rates.base for code in symbols)
    if not rates.has_data and asks_others:
        raise error


def _not_available(day: date) -> OxrError:
    return OxrError(
        400,
        "not_available",
        f"Historical rates for the requested date [{day.isoformat()}] are not available - "
        "please try a different date.",
    )


def _invalid_base(raw: str) -> OxrError:
    return OxrError(
        400,
        "invalid_base",
        f"Invalid `base` currency [{raw[:_ECHO]}] - see currencies.json for the codes.",
    )
