"""Fixer-compatible API (/fixer/…), field by field against Fixer's documented formats."""

from datetime import UTC, datetime, timedelta

import pytest

from rates.models import Currency

KEY = "test-key"
# ECB euro reference rates (eurofxref-hist), published at 16:00 CET = 15:00 UTC.
ECB = {
    "2024-01-02": {"USD": "1.0956", "JPY": "155.68", "GBP": "0.86645", "CHF": "0.9305"},
    "2024-01-05": {"USD": "1.0921", "JPY": "158.57", "GBP": "0.8621", "CHF": "0.932"},
    "2024-01-08": {"USD": "1.0946", "JPY": "158.19", "GBP": "0.8615", "CHF": "0.9308"},
}


def at_15(day: str) -> int:
    return int(datetime.fromisoformat(f"{day}T15:00").replace(tzinfo=UTC).timestamp())


@pytest.fixture
def keyed(settings):
    settings.KOEL_COMPAT_KEYS = [KEY]


@pytest.fixture
def ecb(store, keyed, settings):
    settings.KOEL_RATE_LOOKBACK_DAYS = 14
    for day, rates in ECB.items():
        store("ecb", *[("EUR", code, rate, f"{day}T15:00") for code, rate in rates.items()])


@pytest.fixture
def get(client):
    """GET with the key as access_key unless one is given (access_key=None leaves it out)."""

    def call(path: str, headers: dict | None = None, **params):
        params.setdefault("access_key", KEY)
        params = {name: value for name, value in params.items() if value is not None}
        return client.get(path, params, headers=headers or {})

    return call


def assert_error(response, status: int, code: int, kind: str) -> str:
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    assert list(body) == ["success", "error"]
    assert body["success"] is False
    assert list(body["error"]) == ["code", "type", "info"]
    assert body["error"]["code"] == code
    assert body["error"]["type"] == kind
    assert isinstance(body["error"]["info"], str)
    assert body["error"]["info"]
    return body["error"]["info"]


# --- latest ------------------------------------------------------------------------------------


def test_latest_shape_with_eur_base_at_1(get, ecb):
    response = get("/fixer/latest")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert list(body) == ["success", "timestamp", "base", "date", "rates"]
    assert body["success"] is True
    assert body["timestamp"] == at_15("2024-01-08")
    assert body["base"] == "EUR"
    assert body["date"] == "2024-01-08"
    assert body["rates"] == {
        "CHF": 0.9308,
        "EUR": 1,
        "GBP": 0.8615,
        "JPY": 158.19,
        "USD": 1.0946,
    }


def test_latest_with_base_and_symbols(get, ecb):
    body = get("/fixer/latest", base="USD", symbols="EUR,GBP").json()

    assert body["base"] == "USD"
    assert list(body["rates"]) == ["EUR", "GBP"]
    assert body["rates"]["EUR"] == 0.9135757354  # 1 / 1.0946, 10 significant digits
    assert body["rates"]["GBP"] == pytest.approx(0.8615 / 1.0946, rel=1e-9)


def test_latest_default_base_is_eur_and_all_rates_include_it(get, ecb):
    assert get("/fixer/latest", base="usd").json()["rates"]["USD"] == 1
    assert get("/fixer/latest").json()["rates"]["EUR"] == 1


def test_latest_symbols_with_the_base(get, ecb):
    body = get("/fixer/latest", symbols="usd,EUR").json()

    assert body["rates"] == {"EUR": 1, "USD": 1.0946}


@pytest.mark.parametrize("symbols", ["", ",", "XYZ", "USD,XYZ", "US", "USD,💶"])
def test_latest_invalid_symbols_is_202(get, ecb, symbols):
    info = assert_error(get("/fixer/latest", symbols=symbols), 400, 202, "invalid_currency_codes")
    assert "currencies=EUR,USD,GBP" in info


@pytest.mark.parametrize("base", ["", "XYZ", "EURO", "\x00"])
def test_latest_invalid_base_is_201(get, ecb, base):
    assert_error(get("/fixer/latest", base=base), 400, 201, "invalid_base_currency")


def test_latest_ignores_unknown_parameters(get, ecb):
    plain = get("/fixer/latest", symbols="USD").json()
    extra = get("/fixer/latest", symbols="USD", format="1", callback="x", foo="")

    assert extra.status_code == 200
    assert extra.json() == plain


def test_latest_without_rates_is_106(get, currencies, sources, keyed):
    info = assert_error(get("/fixer/latest"), 404, 106, "no_rates_available")
    assert info == "Your query did not return any results. Please try again."


def test_latest_base_alone_needs_no_data(get, currencies, sources, keyed):
    body = get("/fixer/latest", symbols="EUR").json()

    assert body["rates"] == {"EUR": 1}
    assert body["date"] == datetime.now(UTC).date().isoformat()


def test_latest_etag_304_and_headers(get, ecb):
    first = get("/fixer/latest")

    assert first["ETag"]
    assert first["Cache-Control"].startswith("public, max-age=")
    assert first["Last-Modified"] == "Mon, 08 Jan 2024 15:00:00 GMT"
    assert "apikey" in first["Vary"]
    again = get("/fixer/latest", headers={"If-None-Match": first["ETag"]})
    assert again.status_code == 304
    assert again.content == b""


def test_latest_sees_new_rates_at_once(get, ecb, store, django_capture_on_commit_callbacks):
    assert get("/fixer/latest", symbols="USD").json()["rates"] == {"USD": 1.0946}

    with django_capture_on_commit_callbacks(execute=True):
        store("ecb", ("EUR", "USD", "1.094", "2024-01-09T15:00"))

    body = get("/fixer/latest", symbols="USD").json()
    assert (body["rates"], body["date"]) == ({"USD": 1.094}, "2024-01-09")


# --- keys --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/fixer/latest",
        "/fixer/2024-01-02",
        "/fixer/symbols",
        "/fixer/not-a-date",
        "/fixer/timeseries",
        "/fixer/a/b",
    ],
)
def test_key_required_everywhere(client, ecb, path):
    info = assert_error(client.get(path), 401, 101, "missing_access_key")
    assert "access_key=YOUR_ACCESS_KEY" in info
    assert_error(client.get(path, {"access_key": ""}), 401, 101, "missing_access_key")
    assert_error(client.get(path, {"access_key": "wrong"}), 401, 101, "invalid_access_key")


def test_apilayer_apikey_header_and_parameter(get, ecb):
    by_header = get("/fixer/latest", access_key=None, headers={"apikey": KEY})
    by_parameter = get("/fixer/latest", access_key=None, apikey=KEY)

    assert by_header.status_code == by_parameter.status_code == 200
    wrong = get("/fixer/latest", access_key=None, headers={"apikey": "nope"})
    assert_error(wrong, 401, 101, "invalid_access_key")


def test_access_key_wins_over_apikey(get, ecb):
    response = get("/fixer/latest", access_key="wrong", headers={"apikey": KEY})

    assert_error(response, 401, 101, "invalid_access_key")


# --- YYYY-MM-DD --------------------------------------------------------------------------------


def test_historical_shape(get, ecb):
    response = get("/fixer/2024-01-02")

    assert response.status_code == 200
    body = response.json()
    assert list(body) == ["success", "historical", "date", "timestamp", "base", "rates"]
    assert body["success"] is True
    assert body["historical"] is True
    assert body["date"] == "2024-01-02"
    assert body["timestamp"] == at_15("2024-01-02")
    assert body["base"] == "EUR"
    assert body["rates"] == {
        "CHF": 0.9305,
        "EUR": 1,
        "GBP": 0.86645,
        "JPY": 155.68,
        "USD": 1.0956,
    }


def test_historical_weekend_answers_fridays_rates(get, ecb):
    body = get("/fixer/2024-01-06", symbols="USD,JPY").json()

    assert body["date"] == "2024-01-06"
    assert body["timestamp"] == at_15("2024-01-05")
    assert body["rates"] == {"JPY": 158.57, "USD": 1.0921}


def test_historical_with_base(get, ecb):
    body = get("/fixer/2024-01-05", base="GBP", symbols="USD,GBP").json()

    assert body["base"] == "GBP"
    assert body["rates"]["GBP"] == 1
    assert body["rates"]["USD"] == pytest.approx(1.0921 / 0.8621, rel=1e-9)


def test_historical_today_matches_latest_rates(get, ecb):
    today = datetime.now(UTC).date().isoformat()
    body = get(f"/fixer/{today}").json()
    latest = get("/fixer/latest").json()

    assert body["date"] == today
    assert (body["rates"], body["timestamp"]) == (latest["rates"], latest["timestamp"])


@pytest.mark.parametrize("day", ["2024-13-01", "2024-02-30", "2024-1-2", "foo", "20240102"])
def test_historical_invalid_date_is_302(get, ecb, day):
    info = assert_error(get(f"/fixer/{day}"), 400, 302, "invalid_date")
    assert info == "You have entered an invalid date. [Required format: date=YYYY-MM-DD]"


@pytest.mark.parametrize(
    "day", ["2023-06-01", "1999-01-04", "1899-12-31", "0001-01-01", "9999-12-31"]
)
def test_historical_without_rates_is_106(get, ecb, day):
    assert_error(get(f"/fixer/{day}"), 404, 106, "no_rates_available")


def test_historical_tomorrow_is_106(get, ecb):
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()

    assert_error(get(f"/fixer/{tomorrow}"), 404, 106, "no_rates_available")


def test_historical_parameter_errors(get, ecb):
    assert_error(get("/fixer/2024-01-02", base="XYZ"), 400, 201, "invalid_base_currency")
    assert_error(get("/fixer/2024-01-02", symbols=""), 400, 202, "invalid_currency_codes")


def test_historical_304(get, ecb):
    etag = get("/fixer/2024-01-02")["ETag"]

    assert get("/fixer/2024-01-02", headers={"If-None-Match": etag}).status_code == 304


# --- symbols and the rest ----------------------------------------------------------------------


def test_symbols(get, ecb):
    body = get("/fixer/symbols").json()

    assert list(body) == ["success", "symbols"]
    assert body["success"] is True
    assert body["symbols"]["USD"] == Currency.objects.get(code="USD").name
    assert set(body["symbols"]) == set(
        Currency.objects.filter(active=True).values_list("code", flat=True)
    )


@pytest.mark.parametrize("name", ["convert", "timeseries", "fluctuation"])
def test_endpoints_koel_does_not_offer_are_105(get, ecb, name):
    assert_error(get(f"/fixer/{name}"), 403, 105, "function_access_restricted")


def test_deeper_paths_are_404(get, ecb):
    assert_error(get("/fixer/latest/extra"), 404, 404, "404_not_found")


def test_post_is_405_in_fixer_shape(client, ecb):
    response = client.post(f"/fixer/latest?access_key={KEY}")

    assert_error(response, 405, 405, "method_not_allowed")
    assert response["Allow"] == "GET, HEAD"


GARBAGE = ["", " ", "\x00", "%", "💶", "A" * 5000, "1e999999", "null", "-1"]


@pytest.mark.parametrize("junk", GARBAGE)
def test_no_input_is_a_server_error(get, ecb, junk):
    for path in ["/fixer/latest", "/fixer/2024-01-05", "/fixer/symbols"]:
        for name in ["base", "symbols", "access_key", "apikey"]:
            assert get(path, **{name: junk}).status_code < 500, (path, name)
        assert get(path, access_key=None, headers={"apikey": junk}).status_code < 500
    segment = junk.replace("%", "%25").replace("/", "%2F") or "x"
    assert get(f"/fixer/{segment}").status_code < 500
