"""The anonymous budget outside Koel's own API: the compatible layers and the pages.

DRF throttles /api/v1/ (rates.api.auth.AnonymousThrottle). Everything else a stranger can ask for
— Frankfurter's /v1/ and /v2/, Open Exchange Rates' /api/…, Fixer's /fixer/… and the HTML pages
— takes from the same per-client window (rates.http.throttle: one atomic INCR per request), so a
client has one budget whichever door it knocks at. Over it, each layer answers 429 in its own
error shape with Retry-After, and a page a small HTML page.

As with DRF's throttle, the request is marked COUNTED so that a replay of its stored answer
(rates.http.replay) is counted too, and a count the replay's lookup already made (PRECOUNTED) is
taken instead of counting again. A logged-in session is not throttled; nor is a request to OXR
or Fixer with a valid key of theirs (the key is what identifies a client there, as a Koel API key
does on /api/v1/). The key's check is remembered for the layer's door (.http).

Not counted: /api/v1/ (DRF's), the admin (django-axes guards its login), static files, the
health checks and /metrics (probes, not clients).
"""

import json
from collections.abc import Callable
from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse
from rest_framework.throttling import BaseThrottle

from rates.http.throttle import COUNTED, PRECOUNTED, anonymous_window, count

from .fixer import FIXER
from .keys import request_key_is_valid
from .oxr.errors import OXR

UNCOUNTED = ("/api/v1/", "/admin/", "/static/", "/healthz", "/health/", "/metrics")
# The schema and docs pages live under /api/ but are pages, not OXR.
PAGES_UNDER_API = ("/api/schema/", "/api/docs/", "/api/redoc/")

PAGE_429 = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Too many requests · Koel</title></head>
<body><h1>Too many requests</h1>
<p>This address asked for more pages than Koel serves to one client a while. Please wait
{seconds} seconds and try again.</p></body></html>
"""


@dataclass(frozen=True)
class Door:
    """One layer's throttle: its over-budget answer, and how a client of it may be exempt."""

    name: str
    refuse: Callable[[int], HttpResponse]  # given the seconds to wait
    read_key: Callable[[HttpRequest], str] | None = None  # OXR's app_id, Fixer's access_key


def _json(body: dict) -> HttpResponse:
    return HttpResponse(json.dumps(body), status=429, content_type="application/json")


def _frankfurter_v1(seconds: int) -> HttpResponse:
    return _json({"message": "too many requests"})


def _frankfurter_v2(seconds: int) -> HttpResponse:
    return _json({"status": 429, "message": "too many requests"})


def _oxr(seconds: int) -> HttpResponse:
    # OXR's documented error for repeated over-use: access_restricted, status 429.
    return _json(
        {
            "error": True,
            "status": 429,
            "message": "access_restricted",
            "description": f"Access restricted for repeated over-use - retry in {seconds} s.",
        }
    )


def _fixer(seconds: int) -> HttpResponse:
    # Fixer's usage_limit_reached (code 104), with a real HTTP status, as the layer's others.
    info = f"Your request volume has been reached. [Retry in {seconds} seconds.]"
    return _json(
        {"success": False, "error": {"code": 104, "type": "usage_limit_reached", "info": info}}
    )


def _page(seconds: int) -> HttpResponse:
    return HttpResponse(
        PAGE_429.format(seconds=seconds), status=429, content_type="text/html; charset=utf-8"
    )


FRANKFURTER_V1 = Door("frankfurter-v1", _frankfurter_v1)
FRANKFURTER_V2 = Door("frankfurter-v2", _frankfurter_v2)
FIXER_DOOR = Door("fixer", _fixer, FIXER.read_key)
OXR_DOOR = Door("oxr", _oxr, OXR.read_key)
PAGES = Door("pages", _page)


def door_of(path: str) -> Door | None:
    """The layer `path` belongs to for throttling; None when it is not counted here."""
    if path.startswith(UNCOUNTED):
        return None
    if path.startswith("/v1/"):
        return FRANKFURTER_V1
    if path.startswith("/v2/"):
        return FRANKFURTER_V2
    if path.startswith("/fixer/"):
        return FIXER_DOOR
    if path.startswith("/api/") and not path.startswith(PAGES_UNDER_API):
        return OXR_DOOR
    return PAGES


class LayerThrottleMiddleware:
    """Counts anonymous requests to the compatible layers and the pages (after
    AuthenticationMiddleware: a logged-in session is exempt)."""

    def __init__(self, get_response: Callable) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        door = door_of(request.path_info)
        if door is not None and not self._exempt(request, door):
            refused = self._refusal(request, door)
            if refused is not None:
                return refused
        return self.get_response(request)

    def _exempt(self, request: HttpRequest, door: Door) -> bool:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            return True
        if door.read_key is None:
            return False
        raw = door.read_key(request)
        return bool(raw) and request_key_is_valid(request, raw)

    def _refusal(self, request: HttpRequest, door: Door) -> HttpResponse | None:
        request.META[COUNTED] = True  # a replay of this answer is counted too
        window = anonymous_window(client_ip(request))
        if window is None:
            return None
        counted = request.META.get(PRECOUNTED) or count(window)
        if counted <= window.limit:
            return None
        seconds = max(1, window.retry_after)
        response = door.refuse(seconds)
        response["Retry-After"] = str(seconds)
        response["Cache-Control"] = "no-store"
        return response


def client_ip(request: HttpRequest) -> str:
    """The client's address as every throttle reads it (DRF's: REMOTE_ADDR, or X-Forwarded-For
    behind KOEL_NUM_PROXIES proxies); django-axes' AXES_CLIENT_IP_CALLABLE too."""
    return BaseThrottle().get_ident(request)
