from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.utils.cache import patch_cache_control, patch_vary_headers

from pages.converter import conversion_get, lookback_days
from pages.formatting import negotiate_locale
from pages.forms import EARLIEST_DATE, ConverterForm
from pages.pickers import currency_options
from rates.exceptions import KoelError, RateNotFound

# Latest rates change a few times a day; a minute of caching costs a reader nothing.
PAGE_MAX_AGE = 60


def converter(request: HttpRequest) -> HttpResponse:
    """The converter page: the same rate as /api/v1/convert/ (rates.reads.rate_for), converted
    by the same arithmetic (rates.reads.convert), written in the reader's locale."""
    options = currency_options()
    locale = negotiate_locale(request.headers.get("Accept-Language", ""))
    form = ConverterForm(_swapped(request.GET) or None, options=options)
    result = error = None
    if form.is_valid():
        try:
            by_code = {o.code: o for o in options}
            result = conversion_get(**_query(form), options=by_code, locale=locale)
        except RateNotFound:
            error = _not_found(form)
        except KoelError as exc:
            error = str(exc)
    context = {"form": form, "result": result, "error": error, "options": options}
    context["locale"] = str(locale).replace("_", "-")
    context["lookback_days"], context["earliest_date"] = lookback_days(), EARLIEST_DATE
    response = render(request, "pages/converter.html", context)
    patch_cache_control(response, public=True, max_age=PAGE_MAX_AGE)
    patch_vary_headers(response, ["Accept-Language"])
    return response


def _swapped(query: QueryDict) -> QueryDict:
    """The swap button without JavaScript submits the form with `swap`: exchange from and to."""
    if "swap" not in query:
        return query
    swapped = query.copy()
    del swapped["swap"]
    swapped["base"], swapped["target"] = query.get("target", ""), query.get("base", "")
    return swapped


def _query(form: ConverterForm) -> dict:
    data = form.cleaned_data
    return {
        "amount": data["amount"],
        "base": data["base"],
        "target": data["target"],
        "at": form.at(),
        "day": data["date"],
    }


def _not_found(form: ConverterForm) -> str | None:
    """A missing rate on a chosen date is about the date: say so next to it."""
    day, base, target = (form.cleaned_data[k] for k in ("date", "base", "target"))
    if day is None:
        return f"Koel has no rate from {base} to {target} yet."
    form.add_error(
        "date",
        f"No {base} → {target} rate on {day} or in the {lookback_days()} days before it: "
        "choose a later date.",
    )
    return None
