"""The rates table /rates/USD/ and the currencies page /currencies/, rendered on the server
(rates_table.js sorts and filters the table in the browser)."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.utils import timezone

from pages import formatting
from pages.currencies_page import currency_groups
from pages.page_cache import cached_page
from pages.pickers import currency_options
from pages.rates_table import rates_table
from pages.views_pair import not_found
from rates.reads import active_codes, known_codes, pivots


def rates_page(request: HttpRequest, base: str) -> HttpResponse:
    if base.upper() != base:
        return redirect("rates-table", base=base.upper())
    if not known_codes([base]):
        return not_found(request, f"Koel knows no currency {base}.")
    locale = formatting.negotiate_locale(request.headers.get("Accept-Language", ""))

    def render_body() -> bytes:
        options = currency_options()
        by_code = {option.code: option for option in options}
        context = {"table": _rows(rates_table(base), by_code, locale), "base": base}
        context.update(options=options, locale=str(locale).replace("_", "-"))
        return render_to_string("pages/rates_table.html", context, request=request).encode()

    # An answer about every target reads every target's rows (inverse quotes, cross legs).
    depends_on = {base, *active_codes(), *pivots()}
    return cached_page(request, render_body, depends_on=depends_on, locale=str(locale))


def rates_pick(request: HttpRequest) -> HttpResponse:
    """The JavaScript-free base picker's form: /rates/?base=EUR."""
    return redirect("rates-table", base=request.GET.get("base", "").strip().upper() or "USD")


def currencies_page(request: HttpRequest) -> HttpResponse:
    def render_body() -> bytes:
        context = {"groups": currency_groups()}
        return render_to_string("pages/currencies.html", context, request=request).encode()

    # Keyed on the catalog (in every key); new days of data show within the page's minute.
    return cached_page(request, render_body, depends_on=(), locale="")


def _rows(table, by_code: dict, locale) -> dict:
    now = timezone.now()
    rate = formatting.rate
    rows = []
    for row in table.rows:
        answer = row.answer
        rows.append(
            {
                "row": row,
                "option": by_code.get(row.target),
                "rate": rate(answer.rate, locale),
                "inverse": rate(row.inverse, locale),
                "change_day": _percent(row.change_day, locale),
                "change_week": _percent(row.change_week, locale),
                "age": formatting.age(answer.age(now), locale),
                "age_seconds": int(answer.age(now).total_seconds()),
                "stale": answer.stale(now),
            }
        )
    return {"rows": rows, "newest": table.newest}


def _percent(value, locale) -> str | None:
    if value is None:
        return None
    return formatting.rate(round(value, 2), locale)
