"""Issue 13, item 6: hostile values (huge numbers, injection strings, bad UTF-8, NUL bytes,
oversized and repeated parameters, huge headers) in every parameter and path segment of every
endpoint get a 4xx or an answer, never a 500 (docs/reliability.md, 6a).

`make test` tries a few values on every parameter; reliability/run_hostile.py all of them
(KOEL_HOSTILE_FULL=1) and prints how many cases each layer had (KOEL_HOSTILE_REPORT)."""

import json
import os

import pytest

from .hostile_cases import KEY, QUERIES, path_cases, query_cases, repeated_cases

JSON_LAYERS = {"koel", "frankfurter v1", "frankfurter v2", "oxr", "fixer"}


@pytest.fixture
def market(store, settings):
    settings.KOEL_COMPAT_KEYS = [KEY]
    settings.KOEL_ANON_RATE = "1000000/minute"  # the cases are not one client to throttle
    for day in ("2024-01-02", "2024-01-05"):
        store(
            "ecb", ("EUR", "USD", "1.0956", f"{day}T15:00"), ("EUR", "GBP", "0.86", f"{day}T15:00")
        )


def _report(row: str, cases: int, server_errors: int) -> None:
    path = os.environ.get("KOEL_HOSTILE_REPORT")
    if path:
        with open(path, "a") as out:
            out.write(
                json.dumps({"row": row, "cases": cases, "server_errors": server_errors}) + "\n"
            )


def _answered_well(layer: str, response) -> str | None:
    """Why `response` is not a good answer to a hostile case, or None."""
    if response.status_code >= 500:
        return f"{response.status_code}"
    if layer in JSON_LAYERS and response.status_code != 304:
        try:
            body = json.loads(response.content)
        except ValueError:
            return f"{response.status_code}, not JSON: {response.content[:80]!r}"
        if layer == "koel" and response.status_code >= 400 and "error" not in body:
            return f"{response.status_code}, not Koel's error envelope"
    return None


def _run(client, layer: str, kind: str, cases: list[tuple[str, str]]) -> None:
    bad = []
    for label, url in cases:
        problem = _answered_well(layer, client.get(url))
        if problem:
            bad.append(f"{label}: {problem}")
    _report(f"{layer}: {kind}", len(cases), len(bad))
    assert not bad, "\n".join(bad[:20])


@pytest.mark.parametrize("layer", list(QUERIES))
def test_hostile_query_values_are_answered_without_a_server_error(client, market, layer):
    _run(client, layer, "hostile query values", query_cases(layer))


@pytest.mark.parametrize("layer", list(QUERIES))
def test_hostile_path_segments_are_answered_without_a_server_error(client, market, layer):
    _run(client, layer, "hostile path segments", path_cases(layer))


@pytest.mark.parametrize("layer", list(QUERIES))
def test_repeated_parameters_are_answered_without_a_server_error(client, market, layer):
    _run(client, layer, "repeated parameters", repeated_cases(layer))


def test_repeated_parameters_in_koels_api_are_a_400_naming_them(client, market):
    for label, url in repeated_cases("koel"):
        response = client.get(url)
        if "/currencies/" in url or "/sources/" in url or "/runs/" in url:
            continue  # list filters: django-filter reads one value, as documented
        assert response.status_code == 400, label
        assert response.json()["error"]["field"] == label.split()[1], label


def test_more_parameters_than_django_reads_is_a_400(client, market):
    # DATA_UPLOAD_MAX_NUMBER_FIELDS (1,000) bounds the fields Django parses from a query too.
    query = "&".join(f"p{n}=1" for n in range(1_001))
    for path in ("/api/v1/rates/", "/v1/latest", "/v2/rates", "/fixer/latest", "/"):
        assert client.get(f"{path}?{query}").status_code == 400, path


@pytest.mark.parametrize(
    "header", ["If-None-Match", "Authorization", "Accept", "Accept-Language", "X-Forwarded-For"]
)
def test_huge_headers_are_answered_without_a_server_error(client, market, header):
    # granian refuses a request whose head is over its HTTP/1 buffer (~408 KB) before Django;
    # under that, every header a view reads gets a 4xx or an answer.
    for value in ("x" * 300_000, "\u00ff" * 1_000, ",".join(['"a"'] * 10_000)):
        response = client.get("/api/v1/rates/?base=EUR&target=USD", headers={header: value})
        assert response.status_code < 500, header
