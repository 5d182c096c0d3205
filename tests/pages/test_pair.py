"""The pair page /pair/EUR/USD/, rendered by the server: ranges, buckets, summary, sources,
the CSV link, and a clear 404 or message for everything wrong."""

from datetime import date, timedelta

import pytest
from django.urls import reverse

from pages.pair import bucket_for
from rates.reads import invert
from rates.types import Interval
from tests.pages.pair_data import LAST, eur_usd_rows, rate_on, weekdays


@pytest.fixture
def eur_usd(store):
    store("ecb", *eur_usd_rows())


def pair_page(client, base="EUR", target="USD", **params):
    return client.get(reverse("pair", args=[base, target]), params)


@pytest.mark.parametrize(
    ("days", "interval"),
    [(7, Interval.DAY), (400, Interval.DAY), (401, Interval.WEEK), (2000, Interval.WEEK),
     (2001, Interval.MONTH), (36500, Interval.MONTH)],
)  # fmt: skip
def test_bucket_fits_the_range(days, interval):
    assert bucket_for(timedelta(days=days)) == interval


def test_pair_page_shows_a_year_of_daily_points_by_default(client, eur_usd):
    response = pair_page(client)

    assert response.status_code == 200
    found = response.context["found"]
    year = weekdays(LAST - timedelta(days=365), LAST)
    assert (found.interval, len(found.buckets)) == (Interval.DAY, len(year))
    assert (found.start, found.end) == (LAST - timedelta(days=365), LAST)
    assert '<a class="range" data-range="1Y" href="?range=1Y" aria-current="true">' in response.text
    assert f'data-points="{len(year)}"' in response.text
    assert f"{len(year)} day points from {found.start} to 2024-12-31" in response.text


@pytest.mark.parametrize(
    ("name", "interval", "count"),
    [("1W", Interval.DAY, 6), ("1M", Interval.DAY, 22), ("5Y", Interval.WEEK, 105),
     ("Max", Interval.MONTH, 24)],
)  # fmt: skip
def test_each_range_has_its_bucket_and_points(client, eur_usd, name, interval, count):
    found = pair_page(client, range=name).context["found"]

    assert (found.interval, len(found.buckets)) == (interval, count)


def test_summary_of_the_range(client, eur_usd):
    response = pair_page(client, range="1W")  # 2024-12-24 … 2024-12-31, six weekdays
    days = weekdays(LAST - timedelta(days=7), LAST)
    first, last = rate_on(days[0]), rate_on(days[-1])
    values = [rate_on(d) for d in days]

    assert f'<dd data-field="open">{first.normalize()}</dd>' in response.text
    assert f'<dd data-field="close">{last.normalize()}</dd>' in response.text
    assert f'<dd data-field="low">{min(values).normalize()}</dd>' in response.text
    assert f'<dd data-field="high">{max(values).normalize()}</dd>' in response.text
    assert f'<dd data-field="change">{(last - first).normalize()}</dd>' in response.text
    pct = round((last - first) / first * 100, 2)
    assert f'<dd data-field="change_pct">{pct.normalize()} %</dd>' in response.text


def test_summary_is_written_in_the_readers_locale(client, eur_usd):
    response = client.get(
        reverse("pair", args=["EUR", "USD"]), {"range": "1W"}, HTTP_ACCEPT_LANGUAGE="de-DE"
    )

    assert '<dd data-field="close">1,' in response.text
    assert 'data-locale="de-DE"' in response.text


def test_custom_dates(client, eur_usd):
    response = pair_page(client, start="2024-03-01", end="2024-03-31")

    found = response.context["found"]
    assert len(found.buckets) == len(weekdays(found.start, found.end)) == 21
    assert response.context["range"] is None
    assert 'value="2024-03-01"' in response.text


def test_sources_and_path_are_shown(client, eur_usd):
    text = pair_page(client, range="1W").text

    assert '<span data-field="sources">ecb (6 observations)</span>' in text
    assert "Quoted directly." in text


def test_inverse_pair_says_so(client, eur_usd):
    response = pair_page(client, "USD", "EUR", range="1W")

    assert "Inverted from EUR → USD quotes." in response.text
    assert response.context["found"].summary.close == invert(rate_on(LAST))


def test_csv_link_is_the_apis_history_of_the_shown_range(client, eur_usd):
    response = pair_page(client, range="1M")
    found = response.context["found"]
    href = (
        f"/api/v1/rates/history/?base=EUR&target=USD&start={found.start}&end=2024-12-31"
        "&interval=day&format=csv"
    )
    assert f'href="{href.replace("&", "&amp;")}"' in response.text

    csv = client.get(href)
    assert csv["Content-Type"].startswith("text/csv")
    assert len(csv.text.strip().splitlines()) == 1 + len(found.buckets)


def test_xlsx_link_is_the_same_range_as_a_workbook(client, eur_usd):
    from io import BytesIO

    from openpyxl import load_workbook

    response = pair_page(client, range="1M")
    found = response.context["found"]
    href = (
        f"/api/v1/rates/history/?base=EUR&target=USD&start={found.start}&end=2024-12-31"
        "&interval=day&format=xlsx"
    )
    assert f'href="{href.replace("&", "&amp;")}"' in response.text
    workbook = load_workbook(BytesIO(client.get(href).content))
    assert workbook["History"].max_row == 1 + len(found.buckets)


def test_no_javascript_table_lists_every_point(client, eur_usd):
    text = pair_page(client, range="1W").text

    assert text.count("<tr><td>2024-12-") == 6
    assert f"<tr><td>2024-12-31</td><td>{rate_on(LAST).normalize()}</td></tr>" in text


def test_the_chart_gets_the_series_inline(client, eur_usd):
    text = pair_page(client, range="1W").text

    assert '<script id="pair-series" type="application/json">' in text
    assert "/static/vendor/uplot/uPlot.iife.min.js" in text
    assert "/static/pages/pair.js" in text


def test_pair_page_sets_cache_control(client, eur_usd):
    response = pair_page(client)

    assert response["Cache-Control"] == "public, max-age=60"
    assert "Accept-Language" in response["Vary"]


def test_pair_page_is_rendered_again_after_a_write(
    client, eur_usd, store, django_capture_on_commit_callbacks
):
    assert "1.099" not in pair_page(client, range="1W").text
    with django_capture_on_commit_callbacks(execute=True):
        store("ecb", ("EUR", "USD", "1.099", "2024-12-31T17:00"))

    assert '<dd data-field="close">1.099</dd>' in pair_page(client, range="1W").text


@pytest.mark.parametrize(
    ("base", "target", "message"),
    [("EUR", "XYZ", "Koel knows no currency XYZ."),
     ("ABC", "XYZ", "Koel knows no currency ABC or XYZ."),
     ("EUR", "EUR", "A pair needs two currencies: EUR → EUR is one."),
     ("EURO", "USD", "Koel knows no currency EURO.")],
)  # fmt: skip
def test_wrong_pairs_are_a_clear_404(client, currencies, base, target, message):
    response = pair_page(client, base, target)

    assert response.status_code == 404
    assert f'<p class="card" data-field="not-found">{message}</p>' in response.text
    assert response["Cache-Control"] == "no-store"


def test_lower_case_codes_redirect(client, currencies):
    response = pair_page(client, "eur", "usd")

    assert (response.status_code, response["Location"]) == (302, "/pair/EUR/USD/")


def test_pair_picker_form_redirects_to_the_pair(client, currencies):
    response = client.get(reverse("pair-pick"), {"base": "gbp", "target": "JPY"})

    assert response["Location"] == "/pair/GBP/JPY/"
    assert client.get(reverse("pair-pick"), follow=True).status_code == 404


def test_pair_without_rates_says_so(client, eur_usd):
    response = pair_page(client, "GBP", "CHF")

    assert response.status_code == 200
    assert "Koel has no rate from GBP to CHF yet." in response.text
    assert "pair-series" not in response.text


def test_range_without_rates_says_so(client, eur_usd):
    response = pair_page(client, start="2010-01-01", end="2010-02-01")

    assert response.status_code == 200
    assert (
        "No EUR → USD rates between 2010-01-01 and 2010-02-01: Koel's newest is from 2024-12-31."
        in response.text
    )


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [({"range": "2W"}, "range", "Unknown range: choose one of 1W, 1M, 3M, 1Y, 5Y, Max."),
     ({"start": "2024-03-01"}, "end", "Give both dates, or choose a range."),
     ({"start": "2024-03-02", "end": "2024-03-01"}, "start",
      "The start date must be on or before the end date."),
     ({"start": "abc", "end": "2024-03-01"}, "start", "Enter a valid date."),
     ({"start": "1800-01-01", "end": "2024-03-01"}, "start", "At most 36500 days.")],
)  # fmt: skip
def test_bad_ranges_get_a_message_next_to_the_field(client, eur_usd, params, field, message):
    response = pair_page(client, **params)

    assert response.status_code == 200
    assert message in response.text
    assert field in response.context["form"].errors
    assert response.context["found"] is None


def test_sources_endpoint_answers_for_a_range(client, eur_usd):
    url = reverse("pair-sources", args=["EUR", "USD"])

    answer = client.get(url, {"range": "1W"})
    assert answer.json() == {"sources": {"ecb": 6}}
    assert answer["Cache-Control"] == "public, max-age=60"
    assert client.get(url, {"start": "2010-01-01", "end": "2010-02-01"}).json() == {"sources": {}}
    assert client.get(url, {"range": "2W"}).status_code == 400
    assert client.get(reverse("pair-sources", args=["EUR", "EUR"])).status_code == 404


def test_cross_pair_counts_both_legs_sources(client, eur_usd, store):
    store(
        "alpha",
        ("EUR", "GBP", "0.86", "2024-12-30T16:00"),
        ("EUR", "GBP", "0.87", "2024-12-31T16:00"),
    )
    response = pair_page(client, "USD", "GBP", range="1W")

    found = response.context["found"]
    assert (found.path, found.via, len(found.buckets)) == ("cross", "EUR", 2)
    assert found.sources == {"ecb": 6, "alpha": 2}
    assert "A cross rate via EUR." in response.text


def test_pair_page_is_served_from_the_cache(client, eur_usd, django_assert_max_num_queries):
    pair_page(client, range="5Y")
    with django_assert_max_num_queries(0):
        assert pair_page(client, range="5Y").status_code == 200


def test_max_over_25_years_is_month_buckets_in_under_100_kb(client, store):
    weeks = [date(2000, 1, 3) + timedelta(weeks=n) for n in range(25 * 52)]
    store("ecb", *[("EUR", "USD", str(rate_on(d)), f"{d}T16:00") for d in weeks])
    response = pair_page(client, range="Max")
    found = response.context["found"]

    months = len({(d.year, d.month) for d in weeks})
    assert (found.interval, len(found.buckets), months) == (Interval.MONTH, months, 299)
    assert len(response.content) < 100_000
    api = client.get(
        reverse("api:history"),
        {
            "base": "EUR",
            "target": "USD",
            "start": found.start,
            "end": found.end,
            "interval": "month",
        },
    )
    assert len(api.json()["points"]) == months
    assert len(api.content) < 100_000
