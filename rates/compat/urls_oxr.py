"""Open Exchange Rates-compatible routes, included at /api/ (see rates.compat.oxr.views).

Only OXR's own paths are matched (no catch-all), so other routes under /api/ are unaffected.
"""

from django.urls import path

from .oxr import views

app_name = "oxr"

urlpatterns = [
    path("latest.json", views.latest, name="latest"),
    path("historical/<str:day>.json", views.historical, name="historical"),
    path("historical/<path:rest>", views.not_found, name="historical-not-found"),
    path("currencies.json", views.currencies, name="currencies"),
    path("time-series.json", views.time_series, name="time-series"),
    path("convert/<str:value>/<str:base>/<str:target>", views.convert, name="convert"),
    path("convert/<path:rest>", views.not_found, name="convert-not-found"),
    path("ohlc.json", views.unavailable, name="ohlc"),
    path("usage.json", views.unavailable, name="usage"),
]
