"""A statement PostgreSQL cancelled (the web process's statement_timeout) is a 503, not a 500.

The web process's connections carry `statement_timeout` (koel/settings.py, KOEL_WEB_PROCESS set
by koel.wsgi): a request whose query runs past it is cancelled by PostgreSQL rather than holding a
connection and a worker thread. The client is told to come back later, in the error shape of the
layer it asked, and with Retry-After; it is no bug of Koel's, so nothing is logged as an error.
"""

import logging

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.defaults import page_not_found
from psycopg.errors import QueryCanceled

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5
MESSAGE = "The request took too long and was stopped; try again, or ask for less."


def _koel(message: str, code: str = "timeout") -> dict:
    return {"error": {"code": code, "message": message, "field": None}}


def _frankfurter_v1(message: str) -> dict:
    return {"message": message}


def _frankfurter_v2(message: str) -> dict:
    return {"status": 503, "message": message}


def _oxr(message: str) -> dict:
    return {"error": True, "status": 503, "message": "timeout", "description": message}


def _fixer(message: str) -> dict:
    return {"success": False, "error": {"code": 503, "type": "timeout", "info": message}}


# Longest prefix first: /api/v1/ is Koel's own API, the rest of /api/ is the OXR layer.
SHAPES = (
    ("/api/v1/", _koel),
    ("/v1/", _frankfurter_v1),
    ("/v2/", _frankfurter_v2),
    ("/api/", _oxr),
    ("/fixer/", _fixer),
)


def cancelled(exc: BaseException) -> bool:
    """Whether `exc` (Django's OperationalError wraps psycopg's) is a cancelled statement."""
    while exc is not None:
        if isinstance(exc, QueryCanceled):
            return True
        exc = exc.__cause__
    return False


def timeout_response(request: HttpRequest) -> HttpResponse:
    for prefix, shape in SHAPES:
        if request.path.startswith(prefix):
            response = JsonResponse(shape(MESSAGE), status=503)
            break
    else:  # the pages
        response = HttpResponse(MESSAGE, status=503, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


class StatementTimeoutMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        if not cancelled(exc):
            return None
        log.warning("statement timeout: %s %s", request.method, request.get_full_path()[:200])
        return timeout_response(request)


def not_found(request: HttpRequest, exception=None) -> HttpResponse:
    """handler404 (koel/urls.py): a path under /api/v1/ that no route matches (a looked-up value
    holding a `/`, %2F decoded) is Koel's JSON envelope, not the pages' HTML; the compatible
    layers answer their own 404s with catch-all routes."""
    if request.path.startswith("/api/v1/"):
        return JsonResponse(_koel("Not found.", code="not_found"), status=404)
    return page_not_found(request, exception)
