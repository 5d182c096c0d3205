"""Frankfurter v2 at /v2/ (see v2.py)."""

from django.urls import path, re_path

from . import http, v2

urlpatterns = [
    path("", v2.root, name="frankfurter-v2"),
    re_path(r"^rates(?P<extension>\.csv)?$", v2.rates, name="frankfurter-v2-rates"),
    path("rate/<str:base>/<str:quote>", v2.rate, name="frankfurter-v2-rate"),
    path("currencies", v2.currencies, name="frankfurter-v2-currencies"),
    path("currency/<str:code>", v2.currency, name="frankfurter-v2-currency"),
    path("providers", v2.providers, name="frankfurter-v2-providers"),
    re_path(r"^(?P<path>[\s\S]+\.csv)$", v2.not_acceptable),
    re_path(r"^(?P<path>[\s\S]*)$", http.not_found),  # any path, newlines included
]
