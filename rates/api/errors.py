"""One error envelope for Koel's API: {"error": {"code", "message", "field"}}.

Domain errors (rates.exceptions) and DRF's own (validation, authentication, throttling) are
mapped here, in one place; views raise, they never build error bodies.
"""

from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from rates.exceptions import InvalidQuery, KoelError, RateNotFound, UnknownCurrency, UnknownSource


def error_body(code: str, message: str, field: str | None = None) -> dict:
    return {"error": {"code": code, "message": message, "field": field}}


def exception_handler(exc, context):
    domain = _domain_error(exc, context)
    if domain is not None:
        return domain
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # a real bug: Django's 500 handling and logging apply
    code, field, message = _drf_details(exc, response)
    response.data = error_body(code, message, field)
    return response


def _domain_error(exc, context) -> Response | None:
    if isinstance(exc, UnknownCurrency):
        field = getattr(exc, "field", None) or _field_holding(context, exc.code)
        return Response(error_body("unknown_currency", str(exc), field), status=400)
    if isinstance(exc, UnknownSource):
        return Response(error_body("unknown_source", str(exc), "source"), status=400)
    if isinstance(exc, InvalidQuery):
        return Response(error_body("invalid", str(exc), exc.field), status=400)
    if isinstance(exc, RateNotFound):
        return Response(error_body("not_found", str(exc)), status=404)
    if isinstance(exc, KoelError):
        return Response(error_body("invalid", str(exc)), status=400)
    return None


def _field_holding(context, value: str) -> str | None:
    """The query parameter that carried `value` (an unknown code names its field)."""
    request = context.get("request")
    if request is None:
        return None
    for name, given in request.query_params.items():
        if value in given.upper().split(","):
            return name
    return None


def _drf_details(exc, response) -> tuple[str, str | None, str]:
    if isinstance(exc, exceptions.ValidationError) and isinstance(exc.detail, dict):
        field, messages = next(iter(exc.detail.items()))
        message = messages[0] if isinstance(messages, list) else messages
        field = None if field == "non_field_errors" else field
        return "invalid", field, str(message)
    if isinstance(exc, exceptions.Throttled):
        return "throttled", None, str(exc.detail)
    if isinstance(exc, Http404 | exceptions.NotFound):
        return "not_found", None, "Not found."
    codes = {
        status.HTTP_401_UNAUTHORIZED: "unauthorized",
        status.HTTP_403_FORBIDDEN: "forbidden",
        status.HTTP_405_METHOD_NOT_ALLOWED: "method_not_allowed",
        status.HTTP_406_NOT_ACCEPTABLE: "not_acceptable",
    }
    detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
    message = detail[0] if isinstance(detail, list) else detail
    return codes.get(response.status_code, "error"), None, str(message)
