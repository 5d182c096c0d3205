"""Fixer-compatible routes, included at /fixer/ (see rates.compat.fixer).

As in Fixer, a single path segment that is no endpoint is read as a date (YYYY-MM-DD), so
anything else there is a 302 invalid_date; deeper paths are Fixer's 404.
"""

from django.urls import path

from . import fixer

app_name = "fixer"

urlpatterns = [
    path("latest", fixer.latest, name="latest"),
    path("symbols", fixer.symbols, name="symbols"),
    path("convert", fixer.restricted, name="convert"),
    path("timeseries", fixer.restricted, name="timeseries"),
    path("fluctuation", fixer.restricted, name="fluctuation"),
    path("<str:day>", fixer.historical, name="historical"),
    path("<path:rest>", fixer.not_found, name="not-found"),
]
