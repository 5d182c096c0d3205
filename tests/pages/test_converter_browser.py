"""The converter in a real browser (Chromium), with and without JavaScript."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.usefixtures("rates_for_browsing")


def open_converter(page, live_server, query: str = ""):
    page.goto(f"{live_server.url}/{query}")
    return page


def test_converts_as_you_type(page, live_server):
    open_converter(page, live_server)
    page.get_by_label("Amount").fill("100")

    expect(page.locator('[data-field="converted"]')).to_have_text("€92.00")
    expect(page.locator('[data-field="rate-line"]')).to_have_text("1 USD = 0.92 EUR")
    expect(page.locator('[data-field="inverse-line"]')).to_have_text("1 EUR = 1.086956521739 USD")
    expect(page.locator('[data-field="path"]')).to_have_text("direct: a source quotes this pair")
    expect(page.locator('[data-field="sources"]')).to_have_text("ecb")
    expect(page.locator('[data-field="age"]')).to_have_text(re.compile(r"ago$"))
    assert "amount=100" in page.url  # the answer shown is a link to itself


def test_sparkline_draws_the_history_and_links_to_the_pair_page(page, live_server):
    open_converter(page, live_server, "?amount=1&base=USD&target=EUR")

    chart = page.locator(".sparkline-chart")
    expect(chart).to_have_attribute("data-points", "5")  # Monday to Friday
    assert chart.locator("polyline").count() == 1
    assert page.locator("#sparkline").get_attribute("href") == "/pair/USD/EUR/"


def test_swap_exchanges_from_and_to_and_converts_back(page, live_server):
    open_converter(page, live_server, "?amount=100&base=USD&target=EUR")
    expect(page.locator('[data-field="converted"]')).to_have_text("€92.00")

    page.get_by_role("button", name="Swap from and to").click()

    expect(page.get_by_role("combobox", name="From")).to_have_value(re.compile(r"EUR — Euro"))
    expect(page.get_by_role("combobox", name="To")).to_have_value(re.compile(r"USD — US Dollar"))
    expect(page.locator('[data-field="converted"]')).to_have_text("$108.70")


def test_bad_amount_shows_a_message_next_to_the_field(page, live_server):
    open_converter(page, live_server)
    amount = page.get_by_label("Amount")
    amount.fill("abc")

    error = page.locator("#id_amount_error")
    expect(error).to_have_text("'abc' is not a number: enter an amount such as 100 or 12.50.")
    expect(amount).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#result")).to_be_hidden()

    amount.fill("1e999")
    expect(error).to_have_text("Amount must be below 1E+30.")
    amount.fill("3")
    expect(error).to_be_empty()
    expect(page.locator('[data-field="amount"]')).to_have_text("$3.00")
    expect(page.locator('[data-field="converted"]')).to_have_text("€2.76")


def test_weekend_date_shows_the_fridays_rate_beside_it(page, live_server):
    open_converter(page, live_server, "?amount=100&base=USD&target=EUR")
    page.get_by_label("Date").fill("2024-01-06")

    expect(page.locator('[data-field="dates"]')).to_have_text(
        "You asked for Sat 2024-01-06; the rate is from Fri 2024-01-05, the latest on or before it."
    )
    expect(page.locator('[data-field="converted"]')).to_have_text("€92.00")


def test_date_before_any_data_is_an_error_next_to_the_date(page, live_server):
    open_converter(page, live_server, "?amount=100&base=USD&target=EUR")
    page.get_by_label("Date").fill("2020-01-01")

    expect(page.locator("#id_date_error")).to_have_text(
        "No USD → EUR rate on 2020-01-01 or in the 14 days before it: choose a later date."
    )


def test_type_ahead_in_a_picker_finds_a_currency_by_name(page, live_server):
    open_converter(page, live_server, "?amount=1000&base=USD&target=EUR")
    picker = page.get_by_role("combobox", name="To")
    picker.click()
    picker.press_sequentially("japan")

    options = page.get_by_role("listbox").get_by_role("option")
    expect(options.first).to_have_text(re.compile(r"JPY — Japanese Yen"))
    expect(picker).to_have_attribute("aria-expanded", "true")
    expect(picker).to_have_attribute("aria-activedescendant", "id_target_opt_JPY")
    picker.press("Enter")

    expect(picker).to_have_value(re.compile(r"JPY — Japanese Yen"))
    expect(page.locator('[data-field="converted"]')).to_have_text("¥151,235")


def test_type_ahead_puts_codes_first_and_arrows_move(page, live_server):
    open_converter(page, live_server)
    picker = page.get_by_role("combobox", name="From")
    picker.focus()
    picker.press_sequentially("gb")
    expect(page.locator("#id_base_list [aria-selected=true]")).to_have_text(re.compile("GBP"))
    picker.press("Escape")

    expect(picker).to_have_attribute("aria-expanded", "false")
    expect(picker).to_have_value(re.compile(r"USD — US Dollar"))  # nothing chosen: unchanged


def test_form_works_without_javascript(page_without_js, live_server):
    page = page_without_js
    page.goto(f"{live_server.url}/")
    assert page.get_by_role("combobox", name="From").evaluate("e => e.tagName") == "SELECT"
    page.get_by_label("Amount").fill("100")
    page.get_by_label("To", exact=True).select_option("JPY")
    page.get_by_role("button", name="Convert").click()

    expect(page.locator('[data-field="converted"]')).to_have_text("¥15,123")
    expect(page.locator("#sparkline polyline")).to_have_count(1)  # drawn by the server
    page.get_by_role("button", name="Swap from and to").click()
    expect(page.locator('[data-field="amount"]')).to_have_text("¥100")  # JPY: no minor unit
    expect(page.locator('[data-field="converted"]')).to_have_text("$0.66")


def test_without_javascript_errors_come_from_the_server(page_without_js, live_server):
    page = page_without_js
    page.goto(f"{live_server.url}/?amount=abc&base=USD&target=USD")

    expect(page.locator("#id_amount_error")).to_have_text(
        "'abc' is not a number: enter an amount such as 100 or 12.50."
    )
    expect(page.locator("#id_target_error")).to_have_text(
        "Choose a currency other than the one you convert from."
    )


def test_same_currency_twice_is_an_error_next_to_to(page, live_server):
    open_converter(page, live_server, "?amount=1&base=USD&target=EUR")
    picker = page.get_by_role("combobox", name="To")
    picker.click()
    picker.press_sequentially("USD")
    picker.press("Enter")

    expect(page.locator("#id_target_error")).to_have_text(
        "Choose a currency other than the one you convert from."
    )
    expect(picker).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#result")).to_be_hidden()


def test_converter_logs_no_console_error(page, live_server):
    messages = []
    page.on("console", lambda m: messages.append(f"{m.type}: {m.text}"))
    page.on("pageerror", lambda e: messages.append(f"pageerror: {e}"))
    open_converter(page, live_server, "?amount=5&base=EUR&target=JPY")
    expect(page.locator('[data-field="path"]')).to_have_text("cross rate via USD")
    page.wait_for_load_state("networkidle")

    assert [m for m in messages if m.startswith(("error", "pageerror"))] == []


def test_unknown_code_in_the_link_leaves_the_picker_empty(page, live_server):
    open_converter(page, live_server, "?amount=1&base=XYZ&target=EUR")

    expect(page.locator("#id_base_error")).to_have_text(
        "Unknown currency code XYZ: choose one from the list."
    )
    picker = page.get_by_role("combobox", name="From")
    expect(picker).to_have_value("")
    expect(picker).to_have_attribute("aria-invalid", "true")


def test_updates_come_from_koels_own_api_and_only_after_a_change(page, live_server):
    asked = []
    page.on("request", lambda r: asked.append(r.url.split("?")[0].removeprefix(live_server.url)))
    open_converter(page, live_server, "?amount=1&base=USD&target=EUR")
    page.wait_for_load_state("networkidle")
    assert not [path for path in asked if path.startswith("/api/")]  # the server's answer stands

    page.get_by_label("Amount").fill("2")
    expect(page.locator('[data-field="converted"]')).to_have_text("€1.84")
    page.wait_for_load_state("networkidle")

    api = sorted(path for path in asked if path.startswith("/api/"))
    assert api == ["/api/v1/convert/", "/api/v1/rates/", "/api/v1/rates/history/"]


def test_date_before_1900_is_refused_before_asking_the_api(page, live_server):
    open_converter(page, live_server, "?amount=1&base=USD&target=EUR")
    page.get_by_label("Date").fill("0001-01-05")

    expect(page.locator("#id_date_error")).to_have_text("Koel holds no rates before 1900-01-01.")
