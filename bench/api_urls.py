"""Bench-only URLconf for bench/api.py: Koel's URLs plus `/bench/bare`, a bare Django view.

`/bench/bare` answers the bytes of the file named by KOEL_BENCH_BARE_BODY (read once, on the
first request: bench/api.py writes there the body of the cached latest-for-pair response) with
the same content type, through the same middleware stack and nothing else: no DRF, no
parameters, no cache, no database. It is the floor a Django view cannot go below on this server.
Never part of the production URLconf (koel.urls); only bench/api_settings.py selects this one.
"""

import os
from pathlib import Path

from django.http import HttpRequest, HttpResponse
from django.urls import include, path

_body: list[bytes] = []


def bare(request: HttpRequest) -> HttpResponse:
    if not _body:
        _body.append(Path(os.environ["KOEL_BENCH_BARE_BODY"]).read_bytes())
    return HttpResponse(_body[0], content_type="application/json")


urlpatterns = [
    path("bench/bare", bare),
    path("", include("koel.urls")),
]
