"""Issue 13, item 6: the work one request may cost is bounded (docs/reliability.md, 6a).

Long daily ranges over every currency are refused in each Frankfurter layer's own error shape
(they took seconds and megabytes, again for every other start date); the web process's
statements are time-limited, and a cancelled one answers 503 in the shape of the layer asked."""

import json
import subprocess
import sys
from datetime import date

import pytest
from django.db import connection, transaction
from django.http import HttpResponse
from django.test import RequestFactory

from rates.compat.frankfurter import data
from rates.http.timeouts import StatementTimeoutMiddleware
from tests.scrapers.crawling import child_env

TODAY = date(2026, 11, 2)
DAYS = ["1999-01-04", "2010-06-01", "2022-01-03", "2026-10-30"]


@pytest.fixture
def api(store, client, monkeypatch):
    monkeypatch.setattr(data, "today", lambda: TODAY)
    for day in DAYS:
        store("ecb", *[("EUR", code, "1.1", f"{day}T15:00") for code in ("USD", "GBP", "JPY")])
    return client.get


def test_a_century_of_every_currency_in_v2_is_a_422(api):
    response = api("/v2/rates?from=1926-01-01&to=2026-01-01")

    assert response.status_code == 422
    assert response.json()["message"].startswith("date range exceeds 5 years")
    assert response["Cache-Control"] == "no-store"


@pytest.mark.parametrize(
    "query",
    [
        "from=2020-01-01&quotes=USD,GBP",  # few quotes: cheap at any length
        "from=1926-01-01&group=month",  # aggregated
        "from=2021-12-01&to=2026-10-30",  # under 5 years
    ],
)
def test_v2_ranges_that_stay_cheap_are_served(api, query):
    response = api(f"/v2/rates?{query}")
    assert response.status_code == 200
    assert response.json()


def test_a_century_of_every_currency_in_v1_is_a_422_in_v1s_shape(api):
    response = api("/v1/1926-01-01..2026-01-01")

    assert response.status_code == 422
    assert list(response.json()) == ["message"]
    assert response.json()["message"].startswith("date range exceeds 5 years")


def test_v1_long_ranges_naming_few_currencies_are_served(api):
    body = api("/v1/1999-01-04..2026-10-30?symbols=USD,GBP").json()
    assert list(body["rates"]) == DAYS
    assert api("/v1/2022-01-01..2026-10-30").status_code == 200


# --- statement timeout ---------------------------------------------------------------------------

SHOW_TIMEOUT = (
    "import django, os; {setup}; from django.db import connection; "
    "c = connection.cursor(); c.execute('SHOW statement_timeout'); print(c.fetchone()[0])"
)


def _timeout_in(setup: str, **env: str) -> subprocess.Popen:
    """A child process that prints its connection's statement_timeout (started, not awaited)."""
    # The test database: the one named in DATABASE_URL need not exist (CI's second pass).
    environment = {k: v for k, v in child_env().items() if k != "KOEL_WEB_PROCESS"} | env
    code = SHOW_TIMEOUT.format(setup=setup)
    return subprocess.Popen(
        [sys.executable, "-c", code],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _printed(child: subprocess.Popen) -> str:
    out, err = child.communicate(timeout=120)
    assert child.returncode == 0, err
    return out.strip()


@pytest.mark.django_db
def test_only_the_web_process_has_a_statement_timeout():
    # Three fresh interpreters at once: each spends seconds importing Django.
    children = (
        _timeout_in("import koel.wsgi"),
        _timeout_in(
            "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'koel.settings'); django.setup()"
        ),
        _timeout_in("import koel.wsgi", KOEL_WEB_STATEMENT_TIMEOUT_MS="0"),
    )
    web, other, off = (_printed(child) for child in children)

    assert web == "5s"  # granian's workers load koel.wsgi
    assert other == off == "0"  # Celery, ingests and management commands never do


def _slow_view(request):
    # A real statement cancelled by PostgreSQL, inside a savepoint of the test's transaction.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL statement_timeout = 50")
        cursor.execute("SELECT pg_sleep(2)")
    return HttpResponse("not reached")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "shape"),
    [
        ("/api/v1/rates/", {"error": {"code": "timeout", "field": None}}),
        ("/v1/latest", {}),
        ("/v2/rates", {"status": 503}),
        ("/api/latest.json", {"error": True, "status": 503, "message": "timeout"}),
        ("/fixer/latest", {"success": False}),
    ],
)
def test_a_cancelled_statement_is_a_503_in_the_layers_shape(path, shape):
    middleware = StatementTimeoutMiddleware(_slow_view)
    request = RequestFactory().get(path)
    try:
        _slow_view(request)
    except Exception as exc:
        response = middleware.process_exception(request, exc)

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    body = json.loads(response.content)
    for key, value in shape.items():
        if isinstance(value, dict):
            assert value.items() <= body[key].items()
        else:
            assert body[key] == value
    assert "too long" in json.dumps(body)


@pytest.mark.django_db
def test_other_database_errors_are_left_to_django():
    from django.db import ProgrammingError

    middleware = StatementTimeoutMiddleware(_slow_view)
    request = RequestFactory().get("/api/v1/rates/")
    assert middleware.process_exception(request, ProgrammingError("no such table")) is None
