"""HTTP plumbing shared by the v1 and v2 layers: JSON answers, methods, unmatched paths."""

import re
from collections.abc import Callable
from functools import wraps

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from rates.http.caching import Answer

JSON = "application/json; charset=utf-8"
ALLOWED_METHODS = "GET, HEAD, OPTIONS"
_CODE = re.compile(r"[A-Z]{3}")


def ok(payload: object, content_type: str = JSON) -> Answer:
    return Answer(200, payload, content_type=content_type)


def error(status: int, payload: object) -> Answer:
    return Answer(status, payload, content_type=JSON, cacheable=False)


def codes(*values: str | None) -> set[str]:
    """The currency-shaped values among `values`, for cache dependencies (junk is left out)."""
    return {v for v in values if v and _CODE.fullmatch(v)}


def read_only(view: Callable) -> Callable:
    """GET and HEAD reach the view; OPTIONS lists them; anything else is 405 with Allow.

    Frankfurter answers only GET (Roda's r.get); the specs document nothing else, and a
    compatible client never writes, so the other methods are refused as HTTP says.
    """

    @csrf_exempt
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.method in ("GET", "HEAD"):
            return view(request, *args, **kwargs)
        if request.method == "OPTIONS":
            response = HttpResponse(status=200)
        else:
            response = JsonResponse({"message": "method not allowed"}, status=405)
        response["Allow"] = ALLOWED_METHODS
        return response

    return wrapper


@csrf_exempt
def not_found(request: HttpRequest, path: str = "") -> HttpResponse:
    """Frankfurter's answer to a path it does not route (its not_found / status handler)."""
    response = JsonResponse({"status": 404, "message": "not found"}, status=404)
    response["Content-Type"] = JSON
    response["Cache-Control"] = "no-store"
    return response


def last_values(request: HttpRequest) -> dict[str, str]:
    """Query parameters as Rack parses them: the last value of a repeated key wins."""
    return {key: request.GET[key] for key in request.GET}
