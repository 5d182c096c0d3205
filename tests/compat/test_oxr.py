"""Open Exchange Rates-compatible API (/api/…), field by field against OXR's documented formats."""

from datetime import UTC, date, datetime, timedelta

import pytest

from rates import models
from rates.compat import keys
from rates.compat.oxr import views as oxr
from rates.compat.readings import EARLIEST_DAY
from rates.models import Currency

KEY = "test-key"
# ECB euro reference rates (eurofxref-hist), published at 16:00 CET = 15:00 UTC.
ECB = {
    "2024-01-02": {"USD": "1.0956", "JPY": "155.68", "GBP": "0.86645"},
    "2024-01-05": {"USD": "1.0921", "JPY": "158.57", "GBP": "0.8621"},
    "2024-01-08": {"USD": "1.0946", "JPY": "158.19", "GBP": "0.8615"},
}
RATE_KEYS = ["disclaimer", "license", "timestamp", "base", "rates"]


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
    """GET with the key as app_id unless one is given (app_id=None leaves it out)."""

    def call(path: str, headers: dict | None = None, **params):
        params.setdefault("app_id", KEY)
        params = {name: value for name, value in params.items() if value is not None}
        return client.get(path, params, headers=headers or {})

    return call


def assert_error(response, status: int, message: str) -> dict:
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    assert list(body) == ["error", "status", "message", "description"]
    assert body["error"] is True
    assert body["status"] == status
    assert body["message"] == message
    assert isinstance(body["description"], str)
    assert body["description"]
    return body


# --- latest.json -------------------------------------------------------------------------------


def test_latest_has_every_documented_key_with_usd_base_at_1(get, ecb):
    response = get("/api/latest.json")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert list(body) == RATE_KEYS
    assert isinstance(body["disclaimer"], str)
    assert isinstance(body["license"], str)
    assert body["timestamp"] == at_15("2024-01-08")
    assert body["base"] == "USD"
    assert list(body["rates"]) == ["EUR", "GBP", "JPY", "USD"]  # sorted; only what has data
    assert body["rates"]["USD"] == 1
    assert body["rates"]["EUR"] == 0.9135757354  # 1 / 1.0946, 10 significant digits
    assert body["rates"]["JPY"] == pytest.approx(158.19 / 1.0946, rel=1e-9)
    assert body["rates"]["GBP"] == pytest.approx(0.8615 / 1.0946, rel=1e-9)


def test_latest_with_base_and_symbols(get, ecb):
    body = get("/api/latest.json", base="EUR", symbols="USD,JPY").json()

    assert body["base"] == "EUR"
    assert body["rates"] == {"JPY": 158.19, "USD": 1.0946}
    assert body["timestamp"] == at_15("2024-01-08")


def test_latest_symbols_may_include_the_base_and_are_case_insensitive(get, ecb):
    body = get("/api/latest.json", base="eur", symbols=" gbp ,EUR").json()

    assert body["rates"] == {"EUR": 1, "GBP": 0.8615}


def test_latest_currencies_is_an_alias_of_symbols(get, ecb):
    body = get("/api/latest.json", base="EUR", currencies="GBP").json()

    assert body["rates"] == {"GBP": 0.8615}


def test_latest_leaves_out_symbols_koel_does_not_know(get, ecb):
    body = get("/api/latest.json", base="EUR", symbols="GBP,XYZ,12").json()

    assert body["rates"] == {"GBP": 0.8615}


def test_latest_symbols_nobody_knows_is_400(get, ecb):
    assert_error(get("/api/latest.json", symbols="XYZ,QQQ"), 400, "invalid_symbols")


@pytest.mark.parametrize("symbols", ["", ",", " , "])
def test_latest_empty_symbols_is_400(get, ecb, symbols):
    assert_error(get("/api/latest.json", symbols=symbols), 400, "invalid_symbols")


@pytest.mark.parametrize("base", ["", "XYZ", "US", "EURO", "€€€", "USD\x00"])
def test_latest_invalid_base_is_400(get, ecb, base):
    body = assert_error(get("/api/latest.json", base=base), 400, "invalid_base")
    assert "currencies.json" in body["description"]


def test_latest_ignores_unknown_parameters(get, ecb):
    plain = get("/api/latest.json", base="EUR").json()
    extra = get("/api/latest.json", base="EUR", foo="bar", callback="", show_alternative="1")

    assert extra.status_code == 200
    assert extra.json() == plain


def test_latest_prettyprint(get, ecb):
    response = get("/api/latest.json", base="EUR", symbols="USD", prettyprint="1")

    assert response.content.decode().startswith('{\n  "disclaimer": ')
    assert response.json()["rates"] == {"USD": 1.0946}
    assert b"\n" not in get("/api/latest.json", base="EUR", prettyprint="false").content


@pytest.mark.parametrize("name", ["prettyprint", "show_alternative", "show_bid_ask"])
@pytest.mark.parametrize("value", ["", "maybe"])
def test_latest_malformed_flag_is_400(get, ecb, name, value):
    assert_error(get("/api/latest.json", **{name: value}), 400, "invalid_parameter")


def test_latest_bid_ask_is_not_allowed(get, ecb):
    assert_error(get("/api/latest.json", show_bid_ask="1"), 403, "not_allowed")


def test_latest_without_any_rate_is_not_available(get, currencies, sources, keyed):
    assert_error(get("/api/latest.json"), 400, "not_available")


def test_latest_of_the_base_alone_needs_no_data(get, currencies, sources, keyed):
    body = get("/api/latest.json", symbols="USD").json()

    assert body["rates"] == {"USD": 1}
    assert isinstance(body["timestamp"], int)


def test_latest_sees_new_rates_at_once(get, ecb, store, django_capture_on_commit_callbacks):
    assert get("/api/latest.json", base="EUR", symbols="USD").json()["rates"] == {"USD": 1.0946}

    with django_capture_on_commit_callbacks(execute=True):  # the write's cache bump
        store("ecb", ("EUR", "USD", "1.094", "2024-01-09T15:00"))

    body = get("/api/latest.json", base="EUR", symbols="USD").json()
    assert body["rates"] == {"USD": 1.094}
    assert body["timestamp"] == at_15("2024-01-09")


def test_latest_is_cached_with_etag_and_answers_304(get, ecb):
    first = get("/api/latest.json")

    assert first["Cache-Control"].startswith("public, max-age=")
    assert first["ETag"]
    assert first["Last-Modified"] == "Mon, 08 Jan 2024 15:00:00 GMT"
    assert "Authorization" in first["Vary"]
    again = get("/api/latest.json", headers={"If-None-Match": first["ETag"]})
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == first["ETag"]


def test_304_still_needs_a_key(get, ecb):
    etag = get("/api/latest.json")["ETag"]

    response = get("/api/latest.json", app_id=None, headers={"If-None-Match": etag})

    assert_error(response, 401, "missing_app_id")


# --- keys --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/api/latest.json",
        "/api/historical/2024-01-02.json",
        "/api/time-series.json?start=2024-01-02&end=2024-01-05",
        "/api/convert/10/EUR/USD",
        "/api/ohlc.json",
        "/api/usage.json",
    ],
)
def test_key_required_everywhere_but_currencies(client, ecb, path):
    body = assert_error(client.get(path), 401, "missing_app_id")
    assert "app_id" in body["description"]
    assert_error(client.get(path, {"app_id": ""}), 401, "missing_app_id")
    sep = "&" if "?" in path else "?"
    assert_error(client.get(f"{path}{sep}app_id=wrong"), 401, "invalid_app_id")


def test_key_in_authorization_header(get, ecb):
    response = get("/api/latest.json", app_id=None, headers={"Authorization": f"Token {KEY}"})

    assert response.status_code == 200


def test_app_id_parameter_wins_over_header(get, ecb):
    response = get("/api/latest.json", app_id="wrong", headers={"Authorization": f"Token {KEY}"})

    assert_error(response, 401, "invalid_app_id")


def test_other_authorization_schemes_are_no_key(get, ecb):
    response = get("/api/latest.json", app_id=None, headers={"Authorization": f"Bearer {KEY}"})

    assert_error(response, 401, "missing_app_id")


def test_key_model_is_consulted(get, ecb, monkeypatch):
    class FakeApiKey:
        @classmethod
        def verify(cls, raw):
            return raw == "issued-in-admin"

    monkeypatch.setattr(models, "ApiKey", FakeApiKey, raising=False)

    assert get("/api/latest.json", app_id="issued-in-admin").status_code == 200
    assert_error(get("/api/latest.json", app_id="not-issued"), 401, "invalid_app_id")


def test_key_is_valid_without_key_model(settings, monkeypatch):
    settings.KOEL_COMPAT_KEYS = ["alpha", "beta"]
    monkeypatch.delattr(models, "ApiKey", raising=False)

    assert keys.key_is_valid("beta")
    assert not keys.key_is_valid("gamma")
    assert not keys.key_is_valid("")
    assert not keys.key_is_valid("beta\x00")
    assert not keys.key_is_valid("x" * 1000)
    assert not keys.key_is_valid("ключ")


def test_key_is_valid_accepts_a_single_string_setting(settings, monkeypatch):
    settings.KOEL_COMPAT_KEYS = "solo"
    monkeypatch.delattr(models, "ApiKey", raising=False)

    assert keys.key_is_valid("solo")
    assert not keys.key_is_valid("sol")


# --- historical/*.json -------------------------------------------------------------------------


def test_historical_has_every_documented_key(get, ecb):
    body = get("/api/historical/2024-01-02.json", base="EUR").json()

    assert list(body) == RATE_KEYS
    assert body["timestamp"] == at_15("2024-01-02")
    assert body["base"] == "EUR"
    assert body["rates"] == {"EUR": 1, "GBP": 0.86645, "JPY": 155.68, "USD": 1.0956}


def test_historical_default_base_is_usd(get, ecb):
    body = get("/api/historical/2024-01-02.json").json()

    assert body["base"] == "USD"
    assert body["rates"]["USD"] == 1
    assert body["rates"]["EUR"] == pytest.approx(1 / 1.0956, rel=1e-9)


def test_historical_weekend_answers_fridays_rates(get, ecb):
    saturday = get("/api/historical/2024-01-06.json", base="EUR").json()
    sunday = get("/api/historical/2024-01-07.json", base="EUR").json()

    assert saturday["rates"] == {"EUR": 1, "GBP": 0.8621, "JPY": 158.57, "USD": 1.0921}
    assert saturday["timestamp"] == at_15("2024-01-05")
    assert sunday == saturday


def test_historical_with_symbols(get, ecb):
    body = get("/api/historical/2024-01-05.json", base="GBP", symbols="EUR,USD").json()

    assert body["rates"]["EUR"] == pytest.approx(1 / 0.8621, rel=1e-9)
    assert body["rates"]["USD"] == pytest.approx(1.0921 / 0.8621, rel=1e-9)
    assert list(body["rates"]) == ["EUR", "USD"]


def test_historical_today_is_the_latest(get, ecb):
    today = datetime.now(UTC).date().isoformat()

    assert get(f"/api/historical/{today}.json").json() == get("/api/latest.json").json()


@pytest.mark.parametrize("day", ["2023-06-01", "1999-01-01", "1899-12-31", "0001-01-01"])
def test_historical_without_data_is_not_available(get, ecb, day):
    body = assert_error(get(f"/api/historical/{day}.json"), 400, "not_available")
    assert body["description"].startswith("Historical rates for the requested date")


def test_historical_future_is_not_available(get, ecb):
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()

    assert_error(get(f"/api/historical/{tomorrow}.json"), 400, "not_available")
    assert_error(get("/api/historical/9999-12-31.json"), 400, "not_available")


@pytest.mark.parametrize("day", ["2024-13-01", "2024-02-30", "2024-1-2", "yesterday", "20240102"])
def test_historical_malformed_date_is_400(get, ecb, day):
    assert_error(get(f"/api/historical/{day}.json"), 400, "invalid_date")


def test_historical_path_without_json_is_oxr_not_found(get, ecb):
    assert_error(get("/api/historical/2024-01-02"), 404, "not_found")


def test_historical_errors_for_parameters(get, ecb):
    assert_error(get("/api/historical/2024-01-02.json", base="XYZ"), 400, "invalid_base")
    assert_error(get("/api/historical/2024-01-02.json", symbols=""), 400, "invalid_symbols")


# --- currencies.json ---------------------------------------------------------------------------


def test_currencies_is_open_and_maps_codes_to_names(client, currencies):
    response = client.get("/api/currencies.json")

    assert response.status_code == 200
    body = response.json()
    assert body["USD"] == Currency.objects.get(code="USD").name
    assert body["EUR"] == Currency.objects.get(code="EUR").name
    assert list(body) == sorted(body)
    assert set(body) == set(Currency.objects.filter(active=True).values_list("code", flat=True))
    assert "DEM" not in body


def test_currencies_ignores_app_id(client, currencies):
    assert client.get("/api/currencies.json", {"app_id": "anything"}).status_code == 200


def test_currencies_show_inactive(client, currencies):
    body = client.get("/api/currencies.json", {"show_inactive": "1"}).json()

    assert body["DEM"] == Currency.objects.get(code="DEM").name
    assert "USD" in body


def test_currencies_show_alternative_adds_nothing(client, currencies):
    plain = client.get("/api/currencies.json").json()

    assert client.get("/api/currencies.json", {"show_alternative": "true"}).json() == plain


@pytest.mark.parametrize("name", ["show_inactive", "show_alternative", "prettyprint"])
def test_currencies_empty_flag_is_400(client, currencies, name):
    assert_error(client.get("/api/currencies.json", {name: ""}), 400, "invalid_parameter")


def test_currencies_304(client, currencies):
    etag = client.get("/api/currencies.json")["ETag"]

    assert client.get("/api/currencies.json", headers={"If-None-Match": etag}).status_code == 304


# --- time-series.json --------------------------------------------------------------------------


def test_time_series_shape_and_every_day_answered(get, ecb):
    response = get("/api/time-series.json", start="2024-01-04", end="2024-01-08", base="EUR")

    assert response.status_code == 200
    body = response.json()
    assert list(body) == ["disclaimer", "license", "start_date", "end_date", "base", "rates"]
    assert "timestamp" not in body
    assert (body["start_date"], body["end_date"], body["base"]) == (
        "2024-01-04",
        "2024-01-08",
        "EUR",
    )
    days = ["2024-01-04", "2024-01-05", "2024-01-06", "2024-01-07", "2024-01-08"]
    assert list(body["rates"]) == days
    assert body["rates"]["2024-01-04"] == {"EUR": 1, "GBP": 0.86645, "JPY": 155.68, "USD": 1.0956}
    assert body["rates"]["2024-01-06"]["USD"] == 1.0921  # Saturday: Friday's rate
    assert body["rates"]["2024-01-08"]["USD"] == 1.0946


def test_time_series_day_equals_historical(get, ecb):
    series = get("/api/time-series.json", start="2024-01-05", end="2024-01-07").json()

    for day, rates in series["rates"].items():
        assert rates == get(f"/api/historical/{day}.json").json()["rates"]


def test_time_series_symbols_leave_out_the_base(get, ecb):
    body = get(
        "/api/time-series.json", start="2024-01-05", end="2024-01-05", base="EUR", symbols="USD"
    ).json()

    assert body["rates"] == {"2024-01-05": {"USD": 1.0921}}


def test_time_series_corrects_end_backwards_and_leaves_out_days_without_data(get, ecb, store):
    store("ecb", ("EUR", "USD", "1.0818", "2024-02-28T15:00"))

    body = get("/api/time-series.json", start="2024-02-27", end="2024-02-31", base="EUR").json()

    assert body["end_date"] == "2024-02-29"
    assert list(body["rates"]) == ["2024-02-28", "2024-02-29"]  # 02-27: nothing in 14 days


def test_time_series_stops_at_today(get, ecb, store):
    today = datetime.now(UTC).date()
    store("ecb", ("EUR", "USD", "1.1", (datetime.now(UTC) - timedelta(hours=1)).isoformat()))

    body = get(
        "/api/time-series.json",
        start=(today - timedelta(days=1)).isoformat(),
        end=(today + timedelta(days=5)).isoformat(),
        base="EUR",
        symbols="USD",
    ).json()

    assert body["end_date"] == today.isoformat()
    assert body["rates"][today.isoformat()] == {"USD": 1.1}


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (None, "2024-01-05"),
        ("2024-01-02", None),
        ("", "2024-01-05"),
        ("2024-01-02", ""),
        ("2024-01-32", "2024-02-01"),
        ("garbage", "2024-01-05"),
        ("2024-01-08", "2024-01-02"),
        ("2024-01-01", "2024-02-02"),
        ("2024-02-31", "2024-03-01"),
    ],
)
def test_time_series_bad_range_is_400(get, ecb, start, end):
    assert_error(get("/api/time-series.json", start=start, end=end), 400, "invalid_date_range")


def test_time_series_one_month_is_allowed(get, ecb):
    response = get("/api/time-series.json", start="2024-01-01", end="2024-01-31", symbols="EUR")

    assert response.status_code == 200
    # 01-02 .. 01-21: a day's rate is the last one within the 14 days before the day's end.
    assert list(response.json()["rates"]) == [f"2024-01-{day:02}" for day in range(2, 22)]


def test_time_series_without_data_is_not_available(get, ecb):
    tomorrow = datetime.now(UTC).date() + timedelta(days=1)

    assert_error(
        get("/api/time-series.json", start="2023-05-01", end="2023-05-31"), 400, "not_available"
    )
    assert_error(
        get("/api/time-series.json", start=tomorrow.isoformat(), end=tomorrow.isoformat()),
        400,
        "not_available",
    )


def test_time_series_parameter_errors(get, ecb):
    dates = {"start": "2024-01-02", "end": "2024-01-05"}
    assert_error(get("/api/time-series.json", base="ZZZ", **dates), 400, "invalid_base")
    assert_error(get("/api/time-series.json", symbols="", **dates), 400, "invalid_symbols")


def test_time_series_304(get, ecb):
    dates = {"start": "2024-01-02", "end": "2024-01-05"}
    etag = get("/api/time-series.json", **dates)["ETag"]

    again = get("/api/time-series.json", headers={"If-None-Match": etag}, **dates)
    assert again.status_code == 304


# --- convert -----------------------------------------------------------------------------------


def test_convert_shape(get, ecb):
    response = get("/api/convert/19999.95/EUR/USD")

    assert response.status_code == 200
    body = response.json()
    assert list(body) == ["disclaimer", "license", "request", "meta", "response"]
    assert body["request"] == {
        "query": "/convert/19999.95/EUR/USD",
        "amount": 19999.95,
        "from": "EUR",
        "to": "USD",
    }
    assert body["meta"] == {"timestamp": at_15("2024-01-08"), "rate": 1.0946}
    assert body["response"] == 21891.95  # 19999.95 × 1.0946 = 21891.945270, to the cent


def test_convert_lowercase_codes_and_cross_rate(get, ecb):
    body = get("/api/convert/1000/jpy/gbp").json()

    assert body["request"]["from"] == "JPY"
    assert body["request"]["to"] == "GBP"
    assert body["meta"]["rate"] == pytest.approx(0.8615 / 158.19, rel=1e-9)
    assert body["response"] == 5.45  # 1000 × 0.8615 / 158.19 = 5.4460…


def test_convert_whole_and_zero_amounts(get, ecb):
    assert get("/api/convert/100/EUR/USD").json()["response"] == 109.46
    assert get("/api/convert/0/EUR/USD").json()["response"] == 0
    assert get("/api/convert/.5/EUR/JPY").json()["response"] == 79  # JPY has no minor unit


def test_convert_same_currency(get, ecb):
    body = get("/api/convert/12.345/USD/USD").json()

    assert body["meta"]["rate"] == 1
    assert body["response"] == 12.35


@pytest.mark.parametrize(
    "value", ["abc", "-5", "1e5", "1,5", "NaN", "Infinity", "1_000", "1.2.3", "1" * 41]
)
def test_convert_invalid_value_is_400(get, ecb, value):
    assert_error(get(f"/api/convert/{value}/EUR/USD"), 400, "invalid_value")


def test_convert_huge_value_is_400(get, ecb):
    body = assert_error(get(f"/api/convert/1{'0' * 35}/EUR/USD"), 400, "invalid_value")
    assert "1E+30" in body["description"]


def test_convert_unknown_currencies(get, ecb):
    assert_error(get("/api/convert/10/XYZ/USD"), 400, "invalid_base")
    assert_error(get("/api/convert/10/EUR/XYZ"), 400, "invalid_currency")


def test_convert_without_rate_is_not_available(get, ecb):
    assert_error(get("/api/convert/10/EUR/AUD"), 400, "not_available")


def test_convert_incomplete_path_is_oxr_not_found(get, ecb):
    assert_error(get("/api/convert/10/EUR"), 404, "not_found")
    assert_error(get("/api/convert/10/EUR/USD/extra"), 404, "not_found")


def test_convert_304(get, ecb):
    etag = get("/api/convert/10/EUR/USD")["ETag"]

    response = get("/api/convert/10/EUR/USD", headers={"If-None-Match": etag})

    assert response.status_code == 304


# --- everything else ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/ohlc.json", "/api/usage.json"])
def test_routes_koel_does_not_offer_are_not_allowed(get, ecb, path):
    assert_error(get(path), 403, "not_allowed")


def test_post_is_405_in_oxr_shape(client, ecb):
    response = client.post(f"/api/latest.json?app_id={KEY}")

    assert_error(response, 405, "method_not_allowed")
    assert response["Allow"] == "GET, HEAD"


def test_cors_follows_koels_setting(get, ecb, settings):
    settings.CORS_ALLOW_ALL_ORIGINS = True  # KOEL_CORS_ORIGINS=* (OXR allows any origin)
    origin = {"Origin": "https://shop.example"}

    assert get("/api/latest.json", headers=origin)["Access-Control-Allow-Origin"] == "*"
    assert get("/api/currencies.json", headers=origin)["Access-Control-Allow-Origin"] == "*"
    assert get("/api/latest.json", app_id=None, headers=origin).status_code == 401


def test_latest_is_blended_across_sources_like_v1(get, ecb, store):
    # Three sources quote EUR→USD within the window: the median (1.0950) is published.
    store("alpha", ("EUR", "USD", "1.0950", "2024-01-08T15:30"))
    store("beta", ("EUR", "USD", "1.0990", "2024-01-08T15:45"))

    body = get("/api/latest.json", base="EUR", symbols="USD").json()

    assert body["rates"] == {"USD": 1.095}
    assert body["timestamp"] == at_15("2024-01-08") + 45 * 60  # the newest quote used
    converted = get("/api/convert/100/EUR/USD").json()
    assert (converted["meta"]["rate"], converted["response"]) == (1.095, 109.5)


GARBAGE = ["", " ", "\x00", "%", "💶", "A" * 5000, "1e999999", "../../etc", "null", "-1"]


@pytest.mark.parametrize("junk", GARBAGE)
def test_no_input_is_a_server_error(get, ecb, junk):
    params = ["base", "symbols", "currencies", "start", "end", "prettyprint", "show_inactive"]
    paths = [
        "/api/latest.json",
        "/api/currencies.json",
        "/api/time-series.json",
        "/api/historical/2024-01-05.json",
    ]
    for path in paths:
        for name in params:
            assert get(path, **{name: junk}).status_code < 500, (path, name)
    assert get("/api/latest.json", app_id=junk).status_code < 500
    assert get("/api/latest.json", app_id=None, headers={"Authorization": junk}).status_code < 500
    segment = junk.replace("%", "%25").replace("/", "%2F") or "x"
    for path in [
        f"/api/historical/{segment}.json",
        f"/api/convert/{segment}/EUR/USD",
        f"/api/convert/10/{segment}/USD",
        f"/api/convert/10/EUR/{segment}",
    ]:
        assert get(path).status_code < 500, path


def test_disclaimer_and_license_are_koels(get, ecb):
    body = get("/api/latest.json").json()

    assert (body["disclaimer"], body["license"]) == (oxr.DISCLAIMER, oxr.LICENSE)
    assert "Koel" in body["disclaimer"]


def test_dates_module_boundaries():
    # Days before EARLIEST_DAY never reach date arithmetic (0001-01-01 minus the lookback).
    assert date(1, 1, 1) < EARLIEST_DAY


# --- amounts are applied to a cached rate ------------------------------------------------------


def _rate_table_queries(captured) -> list[str]:
    return [
        q["sql"] for q in captured if "rates_latestrates" in q["sql"] or "exchangerate" in q["sql"]
    ]


def test_amounts_share_one_cached_rate_and_convert_each(get, ecb):
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    first = get("/api/convert/100/EUR/USD").json()
    with CaptureQueriesContext(connection) as captured:
        second = get("/api/convert/19999.95/EUR/USD").json()
        third = get("/api/convert/2.5/EUR/USD").json()

    assert (first["response"], second["response"], third["response"]) == (109.46, 21891.95, 2.74)
    assert first["meta"] == second["meta"] == third["meta"]
    assert second["request"]["query"] == "/convert/19999.95/EUR/USD"
    assert _rate_table_queries(captured) == []  # the rate came from the cache
    assert len(cache.keys("compat:oxr:rate:EUR:USD:*")) == 1
    assert cache.keys("answer*") == []  # no answer stored per amount


def test_a_write_gives_every_amount_the_new_rate(
    get, ecb, store, django_capture_on_commit_callbacks
):
    assert get("/api/convert/10/EUR/USD").json()["response"] == 10.95
    with django_capture_on_commit_callbacks(execute=True):
        store("ecb", ("EUR", "USD", "1.2000", "2024-01-09T15:00"))

    assert get("/api/convert/10/EUR/USD").json()["response"] == 12
    assert get("/api/convert/3/EUR/USD").json()["response"] == 3.6


def test_convert_gives_the_rate_of_the_one_read_entry(get, ecb, store):
    from rates.reads import rate_for

    store("norges_bank", ("EUR", "USD", "1.0950", "2024-01-08T14:00"))
    body = get("/api/convert/1/GBP/JPY").json()
    blended = get("/api/convert/1/EUR/USD").json()

    assert body["meta"]["rate"] == pytest.approx(float(rate_for("GBP", "JPY").rate), rel=1e-9)
    assert blended["meta"]["rate"] == float(rate_for("EUR", "USD").rate)


def test_an_amount_answer_is_conditional_like_any_other(get, ecb):
    first = get("/api/convert/7/EUR/USD")
    again = get("/api/convert/7/EUR/USD", headers={"If-None-Match": first["ETag"]})

    assert first["ETag"]
    assert first["Last-Modified"]
    assert "Authorization" in first["Vary"]
    assert again.status_code == 304
