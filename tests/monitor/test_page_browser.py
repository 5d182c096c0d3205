"""The monitor page in a real browser (Chromium): a new rate updates its card and table row
without a reload (the polling fallback, against the real snapshot API), the table sorts, the
chart switches between the last hour and day, and axe-core finds nothing serious."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.monitor.conftest import iso
from tests.pages.test_accessibility import serious_violations

pytestmark = pytest.mark.usefixtures("live_rates")


@pytest.fixture
def polled(page, settings):
    """The page without EventSource (an old browser, or one that refuses it): it polls, each
    second here."""
    settings.KOEL_MONITOR_POLL_SECONDS = 1
    page.add_init_script("delete window.EventSource")
    return page


def open_monitor(page, live_server):
    page.goto(f"{live_server.url}/monitor/")
    expect(page.locator("#monitor-chart canvas")).to_have_count(1)  # uPlot has drawn
    page.evaluate("window.sameDocument = true")  # gone if the page reloads


def rate_of(page, pair: str):
    return page.locator(f'.pair-card[data-pair="{pair}"] [data-field="rate"]')


def test_polling_updates_a_card_and_its_row_without_a_reload(polled, live_server, store):
    open_monitor(polled, live_server)
    expect(polled.locator("#monitor")).to_have_attribute("data-mode", "polling")
    expect(rate_of(polled, "EUR/USD")).to_have_text("1.0842")

    store("yahoo", ("EUR", "USD", "1.0851", iso(timezone.now())))

    expect(rate_of(polled, "EUR/USD")).to_have_text("1.0851")
    card = polled.locator('.pair-card[data-pair="EUR/USD"]')
    expect(card.locator('[data-field="change"]')).to_contain_text("+0.38 %")  # 1.0851 / 1.0810
    expect(card).to_have_class(re.compile(r"\bflash\b"))
    expect(card.locator('[data-field="age"]')).to_have_text(re.compile(r"^\d+ s ago$"))
    row = polled.locator('#monitor-table tr[data-pair="EUR/USD"]')
    expect(row.locator('[data-field="rate"]')).to_have_text("1.0851")
    expect(rate_of(polled, "USD/JPY")).to_have_text("149.25")  # unchanged, not flashed
    expect(polled.locator('.pair-card[data-pair="USD/JPY"]')).not_to_have_class(re.compile("flash"))
    assert polled.evaluate("window.sameDocument") is True


def test_polled_rate_is_added_to_the_chart(polled, live_server, store):
    open_monitor(polled, live_server)
    chart = polled.locator("#monitor-chart")
    drawn = int(chart.get_attribute("data-drawn"))

    store("yahoo", ("EUR", "USD", "1.0851", iso(timezone.now())))

    expect(chart).to_have_attribute("data-drawn", str(drawn + 1))


def pairs_in_order(page) -> list[str]:
    return page.locator("#monitor-table tbody tr").evaluate_all(
        "rows => rows.map(r => r.dataset.pair)"
    )


def test_table_sorts_by_rate_both_ways(page, live_server):
    open_monitor(page, live_server)
    rate = page.get_by_role("button", name="Rate", exact=True)
    header = page.locator("#monitor-table thead th").nth(1)

    rate.click()
    expect(header).to_have_attribute("aria-sort", "ascending")
    assert pairs_in_order(page)[:2] == ["EUR/USD", "USD/JPY"]  # pairs without a rate last

    rate.click()
    expect(header).to_have_attribute("aria-sort", "descending")
    assert pairs_in_order(page)[:2] == ["USD/JPY", "EUR/USD"]
    page.get_by_role("button", name="Pair", exact=True).click()
    ordered = pairs_in_order(page)
    assert ordered == sorted(ordered, key=str.lower)
    expect(page.locator("#monitor-table th[aria-sort]")).to_have_count(1)


def test_chart_toggles_between_the_last_hour_and_day(page, live_server):
    open_monitor(page, live_server)
    chart = page.locator("#monitor-chart")
    expect(chart).to_have_attribute("data-span", "hour")
    day = page.get_by_role("button", name="Last day")

    with page.expect_response(re.compile(r"/monitor/series/\?span=day")) as answer:
        day.click()

    assert answer.value.ok
    expect(chart).to_have_attribute("data-span", "day")
    expect(day).to_have_attribute("aria-pressed", "true")
    expect(chart).to_have_attribute("aria-label", re.compile("over the last day$"))
    page.get_by_role("button", name="Last hour").click()
    expect(chart).to_have_attribute("data-span", "hour")
    expect(page.get_by_role("button", name="Last hour")).to_have_attribute("aria-pressed", "true")
    expect(chart.locator("canvas")).to_have_count(1)  # redrawn, not drawn again


def test_volatility_bars_per_window(page, live_server, store):
    now = timezone.now()
    ticks = [("EUR", "USD", rate, iso(now - timedelta(minutes=5 * n))) for n, rate in
             enumerate(["1.0842", "1.0839", "1.0846", "1.0835", "1.0841"], start=1)]  # fmt: skip
    store("yahoo", *ticks)
    open_monitor(page, live_server)
    bars = page.locator("#volatility-chart")

    expect(bars).to_have_attribute("data-bars", "1")  # EUR/USD: 4 returns, 5 minutes apart
    expect(bars).to_have_attribute("aria-label", re.compile(r"^Annualised volatility: EUR/USD \d"))
    expect(page.locator("#volatility-note")).to_contain_text("per 5min over 24h, annualised.")
    with page.expect_response(re.compile(r"/api/v1/analytics/volatility/\?.*window=7d")) as answer:
        page.get_by_role("button", name="7d").click()

    assert answer.value.ok
    expect(bars).to_have_attribute("data-window", "7d")
    expect(page.get_by_role("button", name="7d")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#volatility-note")).to_contain_text("per hour over 7d")


@pytest.mark.parametrize(
    "scheme", ["light", pytest.param("dark", marks=pytest.mark.long)]
)  # dark of every page: test_pages_accessibility
@pytest.mark.parametrize("reader", ["anonymous", "signed in"])
def test_monitor_has_no_serious_accessibility_violation(
    page, live_server, signed_in, fired, watcher, scheme, reader
):
    fired(watcher, "EUR", "USD", "above", "1.08", rate="1.0842", name="euro up")
    if reader == "signed in":
        signed_in(page)
    page.emulate_media(color_scheme=scheme)
    open_monitor(page, live_server)
    page.wait_for_load_state("networkidle")

    expect(page.locator("#monitor")).to_have_attribute(
        "data-signed-in", str(reader != "anonymous").lower()
    )
    assert serious_violations(page, live_server) == []


def test_no_console_errors(polled, live_server):
    errors = []
    polled.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    polled.on("pageerror", lambda e: errors.append(str(e)))
    open_monitor(polled, live_server)
    polled.get_by_role("button", name="Last day").click()
    expect(polled.locator("#monitor")).to_have_attribute("data-mode", "polling")
    polled.wait_for_timeout(1500)  # a poll has come and gone

    assert errors == []


def test_without_javascript_the_page_is_the_servers_first_state(page_without_js, live_server):
    page_without_js.goto(f"{live_server.url}/monitor/")

    expect(rate_of(page_without_js, "EUR/USD")).to_have_text("1.0842")
    expect(page_without_js.locator("#monitor-table tbody tr")).to_have_count(28)
    expect(page_without_js.get_by_role("button", name="Last day")).to_be_hidden()  # needs JS
    expect(page_without_js.get_by_role("button", name="7d")).to_be_hidden()
