"""axe-core (vendored) finds no serious or critical violation on the pair page, the rates table,
the currencies page, the monitor and the 404 page, in light and dark mode (the helper is the
converter's)."""

import pytest

from tests.pages.pair_data import eur_usd_rows
from tests.pages.test_accessibility import serious_violations

PAGES = {
    "pair": "/pair/EUR/USD/",
    "pair, no data in range": "/pair/EUR/USD/?start=2010-01-01&end=2010-02-01",
    "pair, bad dates": "/pair/EUR/USD/?start=2024-03-02&end=2024-03-01",
    "rates table": "/rates/USD/",
    "rates table without rates": "/rates/CHF/",
    "currencies": "/currencies/",
    "unknown pair": "/pair/EUR/XYZ/",
    "monitor": "/monitor/",
}


@pytest.fixture
def some_history(store):
    store("ecb", *eur_usd_rows()[-60:], ("EUR", "JPY", "160", "2024-12-31T16:00"))


@pytest.mark.usefixtures("some_history")
@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("name", list(PAGES))
def test_page_has_no_serious_accessibility_violation(page, live_server, name, scheme):
    page.emulate_media(color_scheme=scheme)
    page.goto(live_server.url + PAGES[name])
    page.wait_for_load_state("networkidle")

    assert serious_violations(page, live_server) == []


@pytest.mark.usefixtures("some_history")
@pytest.mark.parametrize("name", ["pair", "rates table", "currencies", "monitor"])
def test_page_on_a_phone_fits_and_has_no_serious_violation(browser, live_server, name):
    context = browser.new_context(viewport={"width": 375, "height": 740}, is_mobile=True)
    page = context.new_page()
    page.goto(live_server.url + PAGES[name])
    page.wait_for_load_state("networkidle")
    width = page.evaluate("document.documentElement.scrollWidth")

    assert width <= 375  # wide tables scroll inside their box, the chart fits the screen
    assert serious_violations(page, live_server) == []
    context.close()
