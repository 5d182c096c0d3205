from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache

from rates.runs.health_checks import checks_report, checks_run


def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness and database reachability, for load balancers and `make run`'s wait loop."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


@never_cache
def health(request: HttpRequest) -> JsonResponse:
    """Readiness: 200 when every check passes (rates/runs/health_checks.py), else 503 naming
    the failing ones."""
    report = checks_report(checks_run())
    return JsonResponse(report, status=200 if report["status"] == "ok" else 503)
