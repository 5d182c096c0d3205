"""Bench-only URLconf for bench/api.py: Koel's URLs plus two baselines, `/bench/bare` and
`/bench/drf-floor`.

`/bench/bare` answers the bytes of the file named by KOEL_BENCH_BARE_BODY (read once, on the
first request: bench/api.py writes there the body of the cached latest-for-pair response) with
the same content type, through the same middleware stack and nothing else: no DRF, no
parameters, no cache, no database. It is the floor a Django view cannot go below on this server.

`/bench/drf-floor` answers the same bytes from a DRF view under Koel's REST_FRAMEWORK settings
(authentication, the anonymous throttle's Redis counter, content negotiation) after the one
statement an uncached pair runs (rates_latestrates rows of the pair and the pivots, fetched, not
parsed): what any uncached answer on this stack pays before Koel's own work (versions, cache
entries, the blend, formatting), so a miss's cost can be read against it.

Never part of the production URLconf (koel.urls); only bench/api_settings.py selects this one.
"""

import os
from pathlib import Path

from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.urls import include, path
from rest_framework.views import APIView

_body: list[bytes] = []
# The statement of an uncached latest-for-pair (rates.reads.observations), for USD/EUR.
LATEST_ROWS = (
    "SELECT base_id, source_id, quotes FROM rates_latestrates WHERE base_id = ANY(%s::text[])"
)


def body() -> bytes:
    if not _body:
        _body.append(Path(os.environ["KOEL_BENCH_BARE_BODY"]).read_bytes())
    return _body[0]


def bare(request: HttpRequest) -> HttpResponse:
    return HttpResponse(body(), content_type="application/json")


class DrfFloor(APIView):
    def get(self, request) -> HttpResponse:
        with connection.cursor() as cursor:
            cursor.execute(LATEST_ROWS, ["{EUR,USD}"])
            cursor.fetchall()
        return HttpResponse(body(), content_type="application/json")


urlpatterns = [
    path("bench/bare", bare),
    path("bench/drf-floor", DrfFloor.as_view()),
    path("", include("koel.urls")),
]
