"""The pair page in a real browser (Chromium): the uPlot chart, range switches redrawn from
/api/v1/rates/history/, the value under the pointer, custom dates and the CSV download."""

import re

import pytest
from playwright.sync_api import expect

from tests.pages.pair_data import LAST, eur_usd_rows, rate_on


@pytest.fixture
def eur_usd(store):
    store("ecb", *eur_usd_rows())


pytestmark = pytest.mark.usefixtures("eur_usd")


def open_pair(page, live_server, query: str = ""):
    page.goto(f"{live_server.url}/pair/EUR/USD/{query}")
    expect(page.locator("#pair-chart canvas")).to_have_count(1)  # uPlot has drawn
    return page.locator("#pair-chart")


def test_chart_is_drawn_from_the_embedded_series(page, live_server):
    chart = open_pair(page, live_server)

    expect(chart).to_have_attribute("data-drawn", "262")  # a year of weekdays, by day
    expect(page.locator('a.range[aria-current="true"]')).to_have_text("1Y")


@pytest.mark.parametrize(
    ("name", "interval", "points"),
    [("1W", "day", "6"), ("1M", "day", "22"), ("5Y", "week", "105"), ("Max", "month", "24")],
)
def test_range_switch_redraws_with_the_ranges_points(page, live_server, name, interval, points):
    chart = open_pair(page, live_server)
    with page.expect_response(re.compile(r"/api/v1/rates/history/\?")) as answer:
        page.get_by_role("link", name=name, exact=True).click()

    assert f"interval={interval}" in answer.value.url
    expect(chart).to_have_attribute("data-drawn", points)
    expect(chart).to_have_attribute("data-interval", interval)
    expect(page.locator('a.range[aria-current="true"]')).to_have_text(name)
    expect(page.locator('[data-field="shown"]')).to_contain_text(f"{points} {interval} point")
    assert page.url.endswith(f"?range={name}")  # a link to what is shown
    assert page.locator(".points tbody tr").count() == int(points)


def test_range_switch_updates_summary_and_sources(page, live_server):
    open_pair(page, live_server)
    page.get_by_role("link", name="1W", exact=True).click()

    expect(page.locator('[data-field="close"]')).to_have_text(str(rate_on(LAST).normalize()))
    expect(page.locator('[data-field="sources"]')).to_have_text("ecb (6 observations)")


def test_hover_shows_the_value_under_the_pointer(page, live_server):
    open_pair(page, live_server, "?range=1W")
    over = page.locator("#pair-chart .u-over").bounding_box()
    page.mouse.move(over["x"] + over["width"] - 1, over["y"] + over["height"] / 2)

    expected = f"2024-12-31: 1 EUR = {rate_on(LAST).normalize()} USD"
    expect(page.locator("#pair-hover")).to_have_text(expected)

    page.mouse.move(over["x"] + 1, over["y"] + over["height"] / 2)
    expect(page.locator("#pair-hover")).to_have_text(
        f"2024-12-24: 1 EUR = {rate_on(LAST.replace(day=24)).normalize()} USD"
    )


def test_drag_zooms_the_time_axis(page, live_server):
    open_pair(page, live_server, "?range=1M")
    over = page.locator("#pair-chart .u-over").bounding_box()
    y = over["y"] + over["height"] / 2
    page.mouse.move(over["x"] + over["width"] * 0.6, y)
    page.mouse.down()
    page.mouse.move(over["x"] + over["width"] * 0.9, y, steps=5)
    page.mouse.up()
    # Zoomed in on the last third: its left edge is a day of the last days of December.
    page.mouse.move(over["x"] + 1, y)

    expect(page.locator("#pair-hover")).to_have_text(re.compile(r"^2024-12-(1[89]|2\d)"))


def test_custom_dates_redraw(page, live_server):
    chart = open_pair(page, live_server)
    page.get_by_label("From", exact=True).fill("2024-03-01")
    page.get_by_label("To", exact=True).fill("2024-03-31")
    page.get_by_role("button", name="Show").click()

    expect(chart).to_have_attribute("data-drawn", "21")
    expect(page.locator('a.range[aria-current="true"]')).to_have_count(0)
    assert page.url.endswith("?start=2024-03-01&end=2024-03-31")


def test_csv_download_is_the_shown_range(page, live_server):
    chart = open_pair(page, live_server)
    page.get_by_role("link", name="1M", exact=True).click()
    expect(chart).to_have_attribute("data-drawn", "22")

    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV").click()

    lines = open(download.value.path()).read().splitlines()  # noqa: SIM115
    assert download.value.suggested_filename == "EUR-USD.csv"
    assert lines[0] == "start,value,open,high,low,close,count,last_observed_at"
    assert len(lines) == 1 + 22
    assert lines[-1].startswith(f"2024-12-31T00:00:00+00:00,{rate_on(LAST)},")


def test_page_without_javascript_shows_summary_and_table(page_without_js, live_server):
    page_without_js.goto(f"{live_server.url}/pair/EUR/USD/")
    page_without_js.get_by_role("link", name="1W", exact=True).click()

    assert page_without_js.url.endswith("?range=1W")
    expect(page_without_js.locator('[data-field="close"]')).to_have_text("1.079")
    page_without_js.get_by_text("Table of the points").click()
    expect(page_without_js.locator(".points tbody tr")).to_have_count(6)


def test_no_console_errors(page, live_server):
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    open_pair(page, live_server)
    page.get_by_role("link", name="Max", exact=True).click()
    expect(page.locator("#pair-chart")).to_have_attribute("data-drawn", "24")

    assert errors == []


def test_shift_drag_pans_and_double_click_resets(page, live_server):
    open_pair(page, live_server, "?range=1M")
    over = page.locator("#pair-chart .u-over").bounding_box()
    y = over["y"] + over["height"] / 2
    left, right = over["x"] + 1, over["x"] + over["width"] - 1
    page.mouse.move(over["x"] + over["width"] * 0.5, y)
    page.mouse.down()
    page.mouse.move(right, y, steps=5)  # zoom to the second half of December
    page.mouse.up()
    page.mouse.move(left, y)
    zoomed = page.locator("#pair-hover").text_content()

    page.keyboard.down("Shift")
    page.mouse.move(over["x"] + over["width"] * 0.2, y)
    page.mouse.down()
    page.mouse.move(over["x"] + over["width"] * 0.8, y, steps=5)  # drag right: earlier days
    page.mouse.up()
    page.keyboard.up("Shift")
    page.mouse.move(left, y)
    panned = page.locator("#pair-hover").text_content()
    assert panned[:10] < zoomed[:10]

    page.mouse.dblclick(over["x"] + over["width"] / 2, y)
    page.mouse.move(left, y)
    expect(page.locator("#pair-hover")).to_have_text(re.compile(r"^2024-12-02: "))


def test_wheel_zooms_around_the_pointer(page, live_server):
    open_pair(page, live_server, "?range=1M")
    over = page.locator("#pair-chart .u-over").bounding_box()
    y = over["y"] + over["height"] / 2
    page.mouse.move(over["x"] + over["width"] - 2, y)
    for _ in range(4):
        page.mouse.wheel(0, -100)  # in, around the last days
    page.mouse.move(over["x"] + 1, y)

    expect(page.locator("#pair-hover")).to_have_text(re.compile(r"^2024-12-(1\d|2\d|3\d)"))
