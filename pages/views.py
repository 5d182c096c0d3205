import re

from django.http import HttpRequest, HttpResponse, QueryDict
from django.template.loader import render_to_string

from pages.converter import conversion_get, lookback_days
from pages.formatting import negotiate_locale
from pages.forms import EARLIEST_DATE, ConverterForm
from pages.page_cache import cached_page
from pages.pickers import currency_options
from rates.exceptions import KoelError, RateNotFound
from rates.reads import pivots

CODE = re.compile(r"[A-Z]{3}")


def converter(request: HttpRequest) -> HttpResponse:
    """The converter page: the same rate as /api/v1/convert/ (rates.reads.rate_for), converted
    by the same arithmetic (rates.reads.convert), written in the reader's locale. Rendered once
    per write of the rates it shows (pages.page_cache), like the other pages."""
    locale = negotiate_locale(request.headers.get("Accept-Language", ""))
    query = _swapped(request.GET)
    codes = {query.get(name, "").strip().upper() for name in ("base", "target")}
    depends_on = {code for code in codes if CODE.fullmatch(code)}
    if depends_on:
        depends_on.update(pivots())  # a cross rate reads the pivots' rows

    def render_body() -> bytes:
        return _page(request, query, locale).encode()

    return cached_page(request, render_body, depends_on=depends_on, locale=str(locale))


def _page(request: HttpRequest, query: QueryDict, locale) -> str:
    options = currency_options()
    form = ConverterForm(query or None, options=options)
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
    return render_to_string("pages/converter.html", context, request=request)


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
