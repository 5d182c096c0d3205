from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from rates.exceptions import KoelError
from rates.forms import ConverterForm
from rates.reads.selectors import conversion_get


def converter(request: HttpRequest) -> HttpResponse:
    form = ConverterForm(request.GET or None)
    result = error = None
    if form.is_valid():
        data = form.cleaned_data
        try:
            result = conversion_get(
                base=data["base"], target=data["target"], amount=data["amount"], at=form.at()
            )
        except KoelError as exc:
            error = str(exc)
    return render(request, "rates/converter.html", {"form": form, "result": result, "error": error})


def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness and database reachability, for load balancers and `make run`'s wait loop."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
