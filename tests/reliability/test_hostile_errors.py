"""Issue 13, item 6: the 500s and silent misreadings found by probing Koel from outside, each
answered now with a 4xx naming what was wrong (docs/reliability.md, 6a)."""

import pytest

RATES, HISTORY, CONVERT = "/api/v1/rates/", "/api/v1/rates/history/", "/api/v1/convert/"
PAIR = "base=USD&target=EUR"


@pytest.fixture
def market(store):
    store("ecb", ("EUR", "USD", "1.0956", "2026-11-19T15:00"), ("EUR", "GBP", "0.86", "2026-11-19"))


def error(response) -> tuple[int, str | None]:
    return response.status_code, response.json()["error"]["field"]


@pytest.mark.parametrize(
    ("url", "field"),
    [
        # OverflowError: a day added to 9999-12-31, a look-back taken from 0001-01-01.
        (f"{HISTORY}?{PAIR}&end=9999-12-31", "end"),
        (f"{HISTORY}?{PAIR}&end=0001-01-01", "end"),
        (f"{HISTORY}?{PAIR}&start=0001-01-01T00:00:00%2B10:00", "start"),
        (f"{RATES}?{PAIR}&at=0001-01-01", "at"),
        (f"{RATES}?{PAIR}&at=9999-12-31T23:00:00-05:00", "at"),
        (f"{CONVERT}?from=USD&to=EUR&amount=1&date=0001-01-01", "date"),
        (f"{CONVERT}?from=USD&to=EUR&amount=1&date=9999-12-31", "date"),
    ],
)
def test_moments_at_the_ends_of_the_calendar_are_a_400_naming_them(client, market, url, field):
    assert error(client.get(url)) == (400, field)


@pytest.mark.parametrize("offset", ["%2B20:00", "-23:59", "%2B16:00"])
def test_an_offset_postgresql_refuses_is_read_in_utc(client, market, offset):
    # 2026-11-20T12:00+20:00 is 2026-11-19T16:00Z: after the ECB's fixing at 15:00.
    response = client.get(f"{RATES}?{PAIR}&at=2026-11-20T12:00:00{offset}")

    assert response.status_code in (200, 404)  # PostgreSQL's DataError was a 500
    if offset == "%2B20:00":
        assert response.json()["requested_at"] == "2026-11-19T16:00:00+00:00"
        assert response.json()["rates"][0]["rate"].startswith("0.9127418")


def test_the_converter_page_with_a_day_at_the_end_of_the_calendar_is_answered(client, market):
    for day in ("0001-01-01", "9999-12-31"):
        response = client.get(f"/?from=USD&to=EUR&amount=1&date={day}")
        assert response.status_code < 500


@pytest.mark.parametrize("path", ["currencies", "sources", "runs"])
def test_a_nul_byte_in_a_path_is_a_json_404(client, market, path):
    response = client.get(f"/api/v1/{path}/%00/")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize(
    "url", [f"{RATES}?{PAIR}&source=nonexistent", f"{HISTORY}?{PAIR}&source=x"]
)
def test_an_unknown_source_is_a_400_naming_source(client, market, url):
    response = client.get(url)

    assert error(response) == (400, "source")
    assert response.json()["error"]["code"] == "unknown_source"


def test_a_known_source_without_the_rate_is_still_a_404(client, market):
    assert client.get(f"{RATES}?{PAIR}&source=alpha").status_code == 404


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=abc", "limit"),
        ("limit=0", "limit"),
        ("limit=-5", "limit"),
        ("offset=x", "offset"),
        ("active=maybe", "active"),
    ],
)
def test_bad_list_parameters_are_a_400_naming_them(client, market, query, field):
    assert error(client.get(f"/api/v1/currencies/?{query}")) == (400, field)


def test_good_list_parameters_still_filter(client, market):
    listed = client.get("/api/v1/currencies/?active=false&limit=5&offset=0").json()
    assert len(listed["results"]) == 5
    assert not any(c["active"] for c in listed["results"])


@pytest.mark.parametrize(
    ("url", "field"),
    [
        (f"{RATES}?base=USD&base=EUR", "base"),
        (f"{RATES}?{PAIR}&target=GBP", "target"),
        (f"{CONVERT}?from=USD&to=EUR&amount=1&amount=2", "amount"),
        (f"{HISTORY}?{PAIR}&start=2026-11-01&start=2026-11-02", "start"),
    ],
)
def test_a_repeated_parameter_is_a_400_naming_it(client, market, url, field):
    assert error(client.get(url)) == (400, field)


def test_if_none_match_star_is_a_304_when_the_answer_exists(client, market):
    url = f"{RATES}?base=EUR&target=USD"
    assert client.get(url, headers={"If-None-Match": "*"}).status_code == 304
    assert client.get(url, headers={"If-None-Match": '"other"'}).status_code == 200
    missing = client.get(f"{RATES}?base=EUR&target=JPY", headers={"If-None-Match": "*"})
    assert missing.status_code == 404


@pytest.mark.parametrize("path", ["/api/v1/currencies/a%2Fb/", "/api/v1/nothing-here/"])
def test_a_path_no_api_route_matches_is_a_json_404(client, path):
    response = client.get(path)

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_a_page_no_route_matches_is_still_the_html_404(client, db):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
