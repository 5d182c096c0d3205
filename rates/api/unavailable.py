"""A database that is down or restarting answers 503, at once, not 500.

With PostgreSQL stopped or restarting, a request's query fails within the connect timeout
(DB_CONNECT_TIMEOUT) with OperationalError or InterfaceError. This middleware turns that into a
503 with Retry-After: the API's error envelope for API clients, a small page for browsers.
Django drops the broken connection when the request ends (CONN_HEALTH_CHECKS checks the next
one), so requests answer again by themselves once the server is back.
"""

import logging
import time

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string

from rates.api.errors import error_body

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5
LOG_EVERY_SECONDS = 10  # an outage under load is one line per interval, not one per request
MESSAGE = "The database is unavailable; try again shortly."


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        if not isinstance(exc, OperationalError | InterfaceError):
            return None
        _log(exc)
        if _wants_page(request):
            response = HttpResponse(render_to_string("unavailable.html"), status=503)
        else:
            response = JsonResponse(error_body("unavailable", MESSAGE), status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response


def _wants_page(request: HttpRequest) -> bool:
    # A browser asks for text/html by name; API clients ask for JSON or anything (*/*).
    return not request.path.startswith("/api/") and "text/html" in request.headers.get("Accept", "")


_logged_at = float("-inf")


def _log(exc: Exception) -> None:
    global _logged_at
    now = time.monotonic()
    if now - _logged_at >= LOG_EVERY_SECONDS:
        _logged_at = now
        logger.error("the database is unavailable, answering 503: %s", exc)
