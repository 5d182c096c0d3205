"""The pair page /pair/EUR/USD/: a range of the pair's history, charted (pair.js redraws it
from /api/v1/rates/history/), summarized and listed, rendered on the server first."""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse

from pages import formatting
from pages.page_cache import PAGE_MAX_AGE, cached_page
from pages.pair import RANGES, chart_series, newest_day, pair_history
from pages.pair_form import PairRangeForm
from rates.http.caching import Answer, cached_answer
from rates.reads import currency_names, known_codes, pivots


def pair(request: HttpRequest, base: str, target: str) -> HttpResponse:
    wrong = _wrong_pair(request, base, target)
    if wrong is not None:
        return wrong
    locale = formatting.negotiate_locale(request.headers.get("Accept-Language", ""))

    def render_body() -> bytes:
        context = _context(request, base, target, locale)
        return render_to_string("pages/pair.html", context, request=request).encode()

    return cached_page(
        request, render_body, depends_on={base, target, *pivots()}, locale=str(locale)
    )


def pair_sources(request: HttpRequest, base: str, target: str) -> HttpResponse:
    """The sources behind a range (pair.js asks after a range change): {"sources": {code: n}}."""
    if _wrong_pair(request, base, target) is not None:
        return JsonResponse({"detail": "Unknown pair."}, status=404)
    form = PairRangeForm(request.GET)
    newest = newest_day(base, target)
    if not form.is_valid() or newest is None:
        return JsonResponse({"errors": form.errors, "sources": {}}, status=400)
    _name, start, end = form.days(newest)

    def build() -> Answer:
        found = pair_history(base, target, start, end)
        return Answer(200, {"sources": found.sources if found else {}}, max_seconds=PAGE_MAX_AGE)

    return cached_answer(request, build, depends_on={base, target, *pivots()})


def pair_redirect(request: HttpRequest) -> HttpResponse:
    """The JavaScript-free pair picker's form: /pair/?base=EUR&target=USD."""
    base = request.GET.get("base", "").strip().upper()
    target = request.GET.get("target", "").strip().upper()
    return redirect("pair", base=base or "-", target=target or "-")


def _wrong_pair(request: HttpRequest, base: str, target: str) -> HttpResponse | None:
    """A 404 page for unknown codes or the same currency twice; lower case is redirected."""
    if (base.upper(), target.upper()) != (base, target):
        return redirect("pair", base=base.upper(), target=target.upper())
    unknown = sorted({base, target} - known_codes([base, target]))
    if unknown:
        message = f"Koel knows no currency {' or '.join(unknown)}."
    elif base == target:
        message = f"A pair needs two currencies: {base} → {target} is one."
    else:
        return None
    return not_found(request, message)


def not_found(request: HttpRequest, message: str) -> HttpResponse:
    response = render(request, "pages/not_found.html", {"message": message}, status=404)
    response["Cache-Control"] = "no-store"
    return response


def _context(request: HttpRequest, base: str, target: str, locale) -> dict:
    names = currency_names(include_inactive=True)
    form = PairRangeForm(request.GET)
    newest = newest_day(base, target)
    context = {
        "base": base,
        "target": target,
        "names": (names[base], names[target]),
        "form": form,
        "ranges": list(RANGES),
        "locale": str(locale).replace("_", "-"),
        "newest": newest,
        "found": None,
    }
    if newest is None or not form.is_valid():
        return context
    name, start, end = form.days(newest)
    found = pair_history(base, target, start, end)
    context.update(range=name, start=start, end=end, found=found)
    if found is not None:
        context.update(_shown(found, base, target, locale))
    return context


def _query(shown: dict, file_format: str) -> str:
    """The history API's query for the shown range as a file (CSV or XLSX)."""
    return "&".join(f"{k}={v}" for k, v in {**shown, "format": file_format}.items())


def _shown(found, base: str, target: str, locale) -> dict:
    rate = formatting.rate
    s = found.summary
    shown = {"base": base, "target": target, "start": found.start, "end": found.end}
    shown.update(interval=str(found.interval))
    return {
        "summary": {
            "low": rate(s.low, locale),
            "high": rate(s.high, locale),
            "open": rate(s.open, locale),
            "close": rate(s.close, locale),
            "change": rate(s.change, locale),
            "change_pct": rate(round(s.change_pct, 2), locale),
        },
        "rows": [(b.start.date(), rate(b.close, locale)) for b in found.buckets],
        "series": chart_series(found.buckets),
        "csv_query": _query(shown, "csv"),
        "xlsx_query": _query(shown, "xlsx"),
        "history_url": reverse("api:history"),
    }
