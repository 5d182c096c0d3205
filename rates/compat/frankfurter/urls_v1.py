"""Frankfurter v1 at /v1/ (see v1.py)."""

from django.urls import path, re_path

from . import http, v1

DAY = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"

urlpatterns = [
    path("", v1.root, name="frankfurter-v1"),
    re_path(r"^(?P<alias>latest|current)$", v1.latest, name="frankfurter-v1-latest"),
    re_path(rf"^(?P<day>{DAY})$", v1.on_date, name="frankfurter-v1-date"),
    re_path(rf"^(?P<start>{DAY})\.\.(?P<end>{DAY})?$", v1.period, name="frankfurter-v1-period"),
    path("currencies", v1.currency_names, name="frankfurter-v1-currencies"),
    re_path(r"^(?P<path>[\s\S]*)$", http.not_found),  # any path, newlines included
]
