"""OXR's query parameters, validated: an OxrError for an empty or malformed value of a known
parameter; unknown parameters are ignored."""

import calendar
import re
from datetime import date
from decimal import Decimal

from django.http import HttpRequest

from rates.reads import known_codes

from ..readings import (
    EARLIEST_DAY,
    base_param,
    parse_code,
    parse_day,
    parse_flag,
    split_codes,
    today,
)
from .errors import ECHO, OxrError, invalid_base, not_available

DEFAULT_BASE = "USD"
# "The maximum query period currently allowed is one month" (time-series.json); OXR's advice is
# to ask for the 1st to the 31st, so the end may be up to 31 days after the start.
MAX_SERIES_SPAN_DAYS = 31
_AMOUNT = re.compile(r"[0-9]{1,40}(\.[0-9]{0,40})?|\.[0-9]{1,40}")


def rates_query(request: HttpRequest) -> tuple[str, list[str] | None, bool]:
    """base, symbols (None: all) and prettyprint, validated; OxrError otherwise."""
    base = base_param(request, default=DEFAULT_BASE, invalid=invalid_base)
    symbols = _symbols(request)
    flag(request, "show_alternative")  # accepted: Koel has no alternative rates to add
    if flag(request, "show_bid_ask"):
        raise OxrError(
            403, "not_allowed", "Bid-ask prices are not available from Koel (mid rates only)."
        )
    return base, symbols, flag(request, "prettyprint")


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
            f"No currency Koel knows in `symbols` [{raw[:ECHO]}] - see currencies.json.",
        )
    return wanted


def flag(request: HttpRequest, name: str) -> bool:
    raw = request.GET.get(name)
    if raw is None:
        return False
    value = parse_flag(raw)
    if value is None:
        raise OxrError(
            400,
            "invalid_parameter",
            f"`{name}` must be true or false (1 or 0), got [{raw[:ECHO]}].",
        )
    return value


def historical_day(day: str) -> date:
    """The day of historical/{day}.json, one rates can exist for."""
    wanted = parse_day(day)
    if wanted is None:
        raise OxrError(
            400,
            "invalid_date",
            f"Invalid date [{day[:ECHO]}] - please give a date in the format YYYY-MM-DD.",
        )
    if wanted < EARLIEST_DAY or wanted > today():
        raise not_available(wanted)
    return wanted


def series_range(request: HttpRequest) -> tuple[date, date]:
    """time-series.json's start and end: at most a month apart, the start a day with rates."""
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
        raise not_available(start)
    return start, end


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
            f"Invalid `{name}` [{raw[:ECHO]}] - give a date in the format YYYY-MM-DD.",
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


def conversion(value: str, base: str, target: str) -> tuple[Decimal, str, str]:
    """convert/{value}/{from}/{to}: the amount and the two codes, each one Koel knows."""
    if not _AMOUNT.fullmatch(value):
        raise OxrError(
            400,
            "invalid_value",
            f"Invalid value [{value[:ECHO]}] - give a plain non-negative number, e.g. 19999.95.",
        )
    source, wanted = parse_code(base), parse_code(target)
    if not known_codes([source]):
        raise invalid_base(base)
    if not known_codes([wanted]):
        raise OxrError(
            400,
            "invalid_currency",
            f"Invalid `to` currency [{target[:ECHO]}] - see currencies.json for the codes.",
        )
    return Decimal(value), source, wanted
