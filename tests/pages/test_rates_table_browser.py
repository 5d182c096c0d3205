"""The rates table in a real browser (Chromium): sorting, filtering by typing, the base picker."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.usefixtures("rates_for_browsing")


def codes(page) -> list[str]:
    return page.locator("#rates-table tbody tr:not([hidden])").evaluate_all(
        "rows => rows.map(r => r.dataset.code)"
    )


def open_table(page, live_server, base: str = "USD"):
    page.goto(f"{live_server.url}/rates/{base}/")
    return page


def test_table_is_in_code_order_first(page, live_server):
    open_table(page, live_server)

    assert codes(page) == ["EUR", "GBP", "JPY"]


def test_sort_by_rate_both_ways(page, live_server):
    open_table(page, live_server)
    rate = page.get_by_role("button", name="Rate", exact=True)

    rate.click()
    header = page.locator("#rates-table thead th").nth(1)
    expect(header).to_have_attribute("aria-sort", "ascending")
    assert codes(page) == ["GBP", "EUR", "JPY"]  # 0.7912, 0.92, 151.2345

    rate.click()
    expect(header).to_have_attribute("aria-sort", "descending")
    assert codes(page) == ["JPY", "EUR", "GBP"]


def test_sort_by_currency_descending_then_by_inverse(page, live_server):
    open_table(page, live_server)
    page.get_by_role("button", name="Currency", exact=True).click()
    page.get_by_role("button", name="Currency", exact=True).click()
    assert codes(page) == ["JPY", "GBP", "EUR"]

    page.get_by_role("button", name="Inverse", exact=True).click()
    assert codes(page) == ["JPY", "EUR", "GBP"]
    expect(page.locator("th[aria-sort]")).to_have_count(1)


def test_filter_by_typing_a_name_or_code(page, live_server):
    open_table(page, live_server)
    box = page.get_by_label("Filter by code or name")

    box.press_sequentially("yen")
    expect(page.locator("#rates-table tbody tr:not([hidden])")).to_have_count(1)
    assert codes(page) == ["JPY"]
    expect(page.locator("#rates-count")).to_contain_text("1 of 3 currencies shown.")

    box.fill("")
    box.press_sequentially("gb")
    assert codes(page) == ["GBP"]
    box.fill("zzz")
    box.dispatch_event("input")
    expect(page.locator("#rates-count")).to_contain_text("0 of 3 currencies shown.")


def test_filter_then_sort_keeps_the_filter(page, live_server):
    open_table(page, live_server)
    page.get_by_label("Filter by code or name").fill("r")  # Euro, British Pound
    page.get_by_label("Filter by code or name").dispatch_event("input")
    page.get_by_role("button", name="Rate", exact=True).click()

    assert codes(page) == ["GBP", "EUR"]


def test_base_picker_opens_the_bases_table(page, live_server):
    open_table(page, live_server)
    with page.expect_navigation():
        page.get_by_label("Base currency").select_option("EUR")

    assert page.url.endswith("/rates/EUR/")
    expect(page.locator("h1")).to_have_text("Rates against EUR")


def test_without_javascript_the_picker_is_a_form(page_without_js, live_server):
    page_without_js.goto(f"{live_server.url}/rates/USD/")
    page_without_js.get_by_label("Base currency").select_option("EUR")
    page_without_js.get_by_role("button", name="Show").click()

    assert page_without_js.url.endswith("/rates/EUR/")
    expect(page_without_js.locator("#rates-table tbody tr")).not_to_have_count(0)
