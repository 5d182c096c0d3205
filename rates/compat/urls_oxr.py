"""Open Exchange Rates-compatible routes, included at /api/ (see rates.compat.oxr).

Only OXR's own paths are matched (no catch-all), so other routes under /api/ are unaffected.
"""

from django.urls import path

from . import oxr

app_name = "oxr"

urlpatterns = [
    path("latest.json", oxr.latest, name="latest"),
    path("historical/<str:day>.json", oxr.historical, name="historical"),
    path("historical/<path:rest>", oxr.not_found, name="historical-not-found"),
    path("currencies.json", oxr.currencies, name="currencies"),
    path("time-series.json", oxr.time_series, name="time-series"),
    path("convert/<str:value>/<str:base>/<str:target>", oxr.convert, name="convert"),
    path("convert/<path:rest>", oxr.not_found, name="convert-not-found"),
    path("ohlc.json", oxr.unavailable, name="ohlc"),
    path("usage.json", oxr.unavailable, name="usage"),
]
