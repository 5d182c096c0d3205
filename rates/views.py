from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from rates.exceptions import KoelError
from rates.forms import ConverterForm
from rates.reads import convert, rate_for


def converter(request: HttpRequest) -> HttpResponse:
    """The converter page: the same rate as /api/v1/convert/ (rates.reads.rate_for), converted
    by the same arithmetic (rates.reads.convert)."""
    form = ConverterForm(request.GET or None)
    result = error = None
    if form.is_valid():
        data = form.cleaned_data
        try:
            answer = rate_for(data["base"], data["target"], at=form.at())
            converted = convert(data["amount"], answer)
            result = {"amount": data["amount"], "answer": answer, "converted": converted}
        except KoelError as exc:
            error = str(exc)
    return render(request, "rates/converter.html", {"form": form, "result": result, "error": error})


def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness and database reachability, for load balancers and `make run`'s wait loop."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
