"""/monitor/ rendered on the server: a card per live pair with its rate and change since the
day's open, the sortable table of live and cross rates, read-only for anonymous readers, and a
signed-in reader's own firings only; the JSON the page's script asks for."""

import re
from datetime import timedelta

import pytest

from monitor.firings import firing_summary

PAGE = "/monitor/"


def card(html: str, pair: str) -> str:
    found = re.search(rf'<li class="card pair-card" data-pair="{pair}".*?</li>', html, re.S)
    assert found, f"no card for {pair}"
    return found.group(0)


def row(html: str, pair: str) -> str:
    found = re.search(rf'<tr data-pair="{pair}".*?</tr>', html, re.S)
    assert found, f"no row for {pair}"
    return found.group(0)


@pytest.mark.usefixtures("live_rates")
def test_cards_show_each_live_pairs_rate_and_change_since_the_open(client):
    html = client.get(PAGE).content.decode()

    eur_usd, usd_jpy = card(html, "EUR/USD"), card(html, "USD/JPY")
    assert 'data-field="rate">1.0842<' in eur_usd
    assert "+0.30 %" in eur_usd  # 1.0842 / 1.0810 - 1
    assert 'data-direction="up"' in eur_usd
    assert 'data-field="rate">149.25<' in usd_jpy
    assert "-0.50 %" in usd_jpy
    assert 'data-direction="down"' in usd_jpy
    assert "yahoo" in eur_usd
    assert "1 min ago" in eur_usd  # the age, ticked on by monitor.js


@pytest.mark.usefixtures("live_rates")
def test_page_embeds_the_first_chart_and_the_update_sources(client):
    response = client.get(PAGE)
    html = response.content.decode()

    series = re.search(r'<script id="monitor-series" type="application/json">(.*?)</script>', html)
    assert series
    assert '"span": "hour"' in series.group(1)
    assert '"EUR/USD": [[' in series.group(1)
    assert 'data-poll="/api/v1/monitor/live/"' in html
    assert 'data-series="/monitor/series/"' in html
    assert "uPlot.iife.min.js" in html
    assert "monitor/monitor.js" in html


@pytest.mark.usefixtures("live_rates")
def test_the_pages_policy_lets_it_connect_to_the_stream_server(client, settings):
    settings.KOEL_STREAM_PORT = 8123
    for _ in range(2):  # built, then from the cache: the header goes with the answer
        policy = client.get(PAGE)["Content-Security-Policy"]
        connect = next(d for d in policy.split(";") if d.strip().startswith("connect-src"))
        assert connect.split()[1:] == ["'self'", "http://testserver:8123"]


@pytest.mark.usefixtures("live_rates")
def test_table_lists_live_and_cross_rates_with_sortable_headers(client):
    html = client.get(PAGE).content.decode()

    headers = re.findall(r'<th scope="col" data-type="(\w+)"[^>]*><button type="button" '
                         r'class="sort">(\w+)</button>', html)  # fmt: skip
    assert headers == [
        ("text", "Pair"), ("number", "Rate"), ("number", "Change"),
        ("text", "Kind"), ("text", "Source"), ("number", "Observed"),
    ]  # fmt: skip
    live = row(html, "EUR/USD")
    assert 'data-sort="1.0842"' in live
    assert ">live<" in live
    cross = row(html, "EUR/JPY")  # EUR/USD × USD/JPY, derived among the live currencies
    assert ">cross<" in cross
    pairs = re.findall(r'<tr data-pair="(\w+/\w+)"', html)
    assert len(pairs) == len(set(pairs)) == 28  # 8 live pairs, and the 20 other crosses once


@pytest.mark.usefixtures("live_rates")
def test_anonymous_reader_sees_the_page_read_only(client):
    response = client.get(PAGE)
    html = response.content.decode()

    assert response.status_code == 200
    assert "Sign in</a> to see your alerts" in html
    assert 'id="firings-timeline"' not in html
    assert 'data-signed-in="false"' in html
    assert "no-cache" in response["Cache-Control"]  # live rates: never a stale copy


def test_signed_in_reader_sees_only_their_own_firings(client, watcher, stranger, fired):
    fired(watcher, "EUR", "USD", "above", "1.08", rate="1.0842", name="euro up")
    fired(watcher, "EUR", "USD", "above", "1.081", rate="1.0845", ago=timedelta(hours=2))
    fired(watcher, "USD", "JPY", "below", "150", rate="149.25")
    fired(watcher, "USD", "JPY", "below", "151", rate="149.1", is_test=True)
    fired(stranger, "SEK", "NOK", "change_pct", "1", rate="1.01", name="theirs")
    client.force_login(watcher)
    html = client.get(PAGE).content.decode()

    assert "Sign in</a> to see" not in html
    assert "3 firings in the last 30 days." in html  # the test firing is no firing
    by_pair = re.search(r'id="firings-by-pair".*?</table>', html, re.S).group(0)
    assert re.findall(r"<td>(\w+/\w+)</td>.*?</span>(\d+)</td>", by_pair) == [
        ("EUR/USD", "2"), ("USD/JPY", "1")
    ]  # fmt: skip
    by_condition = re.search(r'id="firings-by-condition".*?</table>', html, re.S).group(0)
    assert re.findall(r'data-key="(\w+)".*?</span>(\d+)</td>', by_condition) == [
        ("above", "2"), ("below", "1"), ("change_pct", "0")
    ]  # fmt: skip
    timeline = re.search(r'id="firings-timeline".*?</ol>', html, re.S).group(0)
    assert timeline.count("<li") == 3
    assert "above 1.08 (euro up): 1 EUR = 1.0842 USD" in timeline
    assert "below 150: 1 USD = 149.25 JPY" in timeline  # no name: the condition alone
    assert "SEK/NOK" not in html
    assert "theirs" not in html


def test_anonymous_page_is_cached_until_a_rate_lands(
    client, store, live_rates, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    assert 'data-field="rate">1.0842<' in card(client.get(PAGE).content.decode(), "EUR/USD")
    with django_assert_max_num_queries(1):  # the live group; the page itself from the cache
        assert 'data-field="rate">1.0842<' in card(client.get(PAGE).content.decode(), "EUR/USD")

    with django_capture_on_commit_callbacks(execute=True):  # the write commits: versions bumped
        store("yahoo", ("EUR", "USD", "1.0851", (live_rates + timedelta(seconds=30)).isoformat()))

    assert 'data-field="rate">1.0851<' in card(client.get(PAGE).content.decode(), "EUR/USD")


@pytest.mark.usefixtures("live_rates")
def test_a_signed_in_reader_never_gets_the_anonymous_page(client, watcher, fired):
    fired(watcher, "EUR", "USD", "above", "1.08", rate="1.0842")
    client.get(PAGE)  # cached for anonymous readers
    client.force_login(watcher)
    html = client.get(PAGE).content.decode()

    assert "1 firing in the last 30 days." in html
    assert "Sign in</a> to see" not in html


def test_firing_summary_is_none_for_an_anonymous_user():
    from django.contrib.auth.models import AnonymousUser

    assert firing_summary(AnonymousUser()) is None


def test_distribution_counts_only_the_last_30_days(watcher, fired):
    fired(watcher, "EUR", "USD", "above", "1.08", rate="1.09", ago=timedelta(days=31))
    fired(watcher, "EUR", "USD", "above", "1.08", rate="1.09", ago=timedelta(days=29))

    summary = firing_summary(watcher)

    assert summary["total"] == 1
    assert summary["by_pair"] == [{"key": "EUR/USD", "label": "EUR/USD", "count": 1}]
    assert len(summary["timeline"]) == 2  # the timeline is the newest, however old


def test_alerts_json_is_the_readers_own(client, watcher, stranger, fired):
    fired(watcher, "EUR", "USD", "above", "1.08", rate="1.0842")
    fired(stranger, "GBP", "USD", "above", "1.2", rate="1.3")

    assert client.get("/monitor/alerts/").json() == {"signed_in": False}
    client.force_login(watcher)
    answer = client.get("/monitor/alerts/").json()

    assert answer["signed_in"] is True
    assert [f["pair"] for f in answer["timeline"]] == ["EUR/USD"]
    firing = answer["timeline"][0]
    assert firing["threshold"] == "1.08"
    assert firing["rate"] == "1.0842"
    # The stream's firing event, and the rule's own name.
    stream_fields = {"id", "rule", "rule_name", "pair", "condition", "threshold", "rate"}
    stream_fields |= {"reference_rate", "observed_at", "fired_at"}
    assert set(firing) == {*stream_fields, "name"}


@pytest.mark.usefixtures("live_rates")
@pytest.mark.parametrize("span", ["hour", "day"])
def test_series_json_per_span(client, span):
    answer = client.get(f"/monitor/series/?span={span}").json()

    assert answer["span"] == span
    times, closes = answer["pairs"]["EUR/USD"]
    assert closes[-1] == pytest.approx(1.0842)
    assert len(times) == (1 if span == "hour" else len(closes))  # the hour: only the newest
    assert answer["pairs"]["USD/CHF"] == [[], []]  # a live pair without rates in the span


def test_series_json_refuses_an_unknown_span(client, db):
    response = client.get("/monitor/series/?span=week")

    assert response.status_code == 400
    assert response.json()["error"]["field"] == "span"


def test_nav_links_the_monitor(client, db):
    html = client.get("/currencies/").content.decode()

    assert '<a href="/monitor/">Monitor</a>' in html
