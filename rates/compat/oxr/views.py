"""OXR's endpoints (see rates.compat.oxr) and the answers they build."""

from datetime import date

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from rates import reads
from rates.exceptions import RateNotFound
from rates.http.caching import Answer
from rates.reads import MAX_AMOUNT_DIGITS, RateAnswer, currency_names, pivots, rate_for
from rates.types import RatePath

from ..http import cached_value
from ..readings import (
    ONE,
    Rates,
    depends_on,
    instant_for,
    number,
    read_rates,
    read_series,
    today,
    unix,
)
from . import params
from .errors import OXR, OxrError, not_available

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


@OXR.endpoint()
def latest(request: HttpRequest) -> HttpResponse:
    base, symbols, pretty = params.rates_query(request)

    def build() -> Answer:
        rates = read_rates(base=base, targets=symbols, at=None)
        _require_data(
            rates, symbols, OxrError(400, "not_available", f"No rates for {base} are available.")
        )
        return Answer(200, _rates_payload(rates), last_modified=rates.observed_at)

    return OXR.serve(request, build, depends_on=depends_on(base, symbols), pretty=pretty)


@OXR.endpoint()
def historical(request: HttpRequest, day: str) -> HttpResponse:
    wanted = params.historical_day(day)
    base, symbols, pretty = params.rates_query(request)

    def build() -> Answer:
        rates = read_rates(base=base, targets=symbols, at=instant_for(wanted))
        _require_data(rates, symbols, not_available(wanted))
        return Answer(200, _rates_payload(rates), last_modified=rates.observed_at)

    return OXR.serve(request, build, depends_on=depends_on(base, symbols), pretty=pretty)


@OXR.endpoint(key_required=False)
def currencies(request: HttpRequest) -> HttpResponse:
    show_inactive = params.flag(request, "show_inactive")
    params.flag(request, "show_alternative")  # Koel has no alternative (unofficial) rates to add
    pretty = params.flag(request, "prettyprint")

    def build() -> Answer:
        return Answer(200, currency_names(include_inactive=show_inactive))

    return OXR.serve(request, build, depends_on=(), pretty=pretty, keyed=False)


@OXR.endpoint()
def time_series(request: HttpRequest) -> HttpResponse:
    start, end = params.series_range(request)
    base, symbols, pretty = params.rates_query(request)

    def build() -> Answer:
        series = read_series(base=base, targets=symbols, start=start, end=end)
        if not any(rates.has_data for rates in series.values()):
            raise not_available(start)
        return Answer(200, _series_payload(base, start, end, series), last_modified=_newest(series))

    return OXR.serve(request, build, depends_on=depends_on(base, symbols), pretty=pretty)


@OXR.endpoint()
def convert(request: HttpRequest, value: str, base: str, target: str) -> HttpResponse:
    amount, source, wanted = params.conversion(value, base, target)
    pretty = params.flag(request, "prettyprint")
    if amount.adjusted() >= MAX_AMOUNT_DIGITS:
        raise OxrError(400, "invalid_value", f"Value must be below 1E+{MAX_AMOUNT_DIGITS}.")

    def build() -> Answer:
        # The pair's rate is cached once for every amount; the amount is applied per request.
        answer = cached_value(
            f"oxr:rate:{source}:{wanted}",
            lambda: _latest_rate(source, wanted),
            depends_on={source, wanted, *pivots()},
        )
        payload = {
            "disclaimer": DISCLAIMER,
            "license": LICENSE,
            "request": {
                "query": f"/convert/{value}/{source}/{wanted}",
                "amount": number(amount, exact=True),
                "from": source,
                "to": wanted,
            },
            "meta": {"timestamp": unix(answer.observed_at), "rate": number(answer.rate)},
            "response": number(reads.convert(amount, answer), exact=True),
        }
        return Answer(200, payload, last_modified=answer.observed_at)

    return OXR.serve(request, build, depends_on=(), pretty=pretty, stored=False)


@OXR.endpoint()
def unavailable(request: HttpRequest) -> HttpResponse:
    """OXR routes Koel does not offer (ohlc.json, usage.json): not allowed, as for a plan
    without the feature."""
    raise OxrError(403, "not_allowed", "This route is not available from Koel.")


@OXR.endpoint(key_required=False)
def not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    raise OxrError(
        404, "not_found", "The requested route does not exist - see the documented routes."
    )


def _rates_payload(rates: Rates) -> dict:
    return {
        "disclaimer": DISCLAIMER,
        "license": LICENSE,
        "timestamp": rates.timestamp,
        "base": rates.base,
        "rates": rates.printed(),
    }


def _series_payload(base: str, start: date, end: date, series: dict[date, Rates]) -> dict:
    return {
        "disclaimer": DISCLAIMER,
        "license": LICENSE,
        "start_date": start.isoformat(),
        "end_date": min(end, today()).isoformat(),
        "base": base,
        "rates": {day.isoformat(): rates.printed() for day, rates in series.items()},
    }


def _newest(series: dict[date, Rates]):
    return max(rates.observed_at for rates in series.values() if rates.observed_at)


def _latest_rate(base: str, target: str) -> RateAnswer:
    """The rate latest.json answers for the pair (blended across sources)."""
    if base == target:  # 1, as of the request (no stored rate needed)
        return RateAnswer(base, target, ONE, timezone.now(), (), RatePath.DIRECT, None, False)
    try:
        return rate_for(base, target)
    except RateNotFound:
        raise OxrError(
            400, "not_available", f"No rate from {base} to {target} is available - try again later."
        ) from None


def _require_data(rates: Rates, symbols: list[str] | None, error: OxrError) -> None:
    """No stored rate answered: an error, unless only the base itself (1) was asked for."""
    if rates.lacks(symbols):
        raise error
