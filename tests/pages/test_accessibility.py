"""axe-core (vendored, served from Koel's own static files) finds no serious or critical
violation on the converter, in each state a reader sees it, in light and dark mode."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.usefixtures("rates_for_browsing")

AXE = "/static/vendor/axe-core/axe.min.js"
STATES = {
    "empty": "",
    "answer on a weekend date": "?amount=100&base=USD&target=EUR&date=2024-01-06",
    "cross rate": "?amount=10&base=USD&target=GBP",
    "errors": "?amount=abc&base=USD&target=USD",
    "no rate": "?amount=1&base=GBP&target=CHF",
}


def serious_violations(page, live_server) -> list[str]:
    page.add_script_tag(url=live_server.url + AXE)
    found = page.evaluate("async () => (await axe.run(document)).violations")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']]}"
        for v in found
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize(
    "scheme", ["light", pytest.param("dark", marks=pytest.mark.long)]
)  # dark of every page: test_pages_accessibility
@pytest.mark.parametrize("state", list(STATES))
def test_converter_has_no_serious_accessibility_violation(page, live_server, state, scheme):
    page.emulate_media(color_scheme=scheme)
    page.goto(live_server.url + "/" + STATES[state])
    page.wait_for_load_state("networkidle")  # the live update has drawn its answer

    assert serious_violations(page, live_server) == []


def test_open_picker_has_no_serious_accessibility_violation(page, live_server):
    page.goto(live_server.url + "/")
    picker = page.get_by_role("combobox", name="To")
    picker.click()
    picker.press_sequentially("dollar")
    expect(page.get_by_role("listbox")).to_be_visible()

    assert serious_violations(page, live_server) == []


def test_converter_on_a_phone_has_no_serious_accessibility_violation(browser, live_server):
    context = browser.new_context(viewport={"width": 375, "height": 740}, is_mobile=True)
    page = context.new_page()
    page.goto(live_server.url + "/?amount=100&base=USD&target=JPY")
    page.wait_for_load_state("networkidle")
    width = page.evaluate("document.documentElement.scrollWidth")

    assert width <= 375  # nothing overflows sideways: the layout fits the phone
    assert serious_violations(page, live_server) == []
    context.close()


def test_skip_link_is_the_first_stop_and_moves_focus_to_the_content(page, live_server):
    page.goto(live_server.url + "/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    page.keyboard.press("Enter")

    expect(page.locator("#main")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_label("Amount")).to_be_focused()  # then the form, in reading order


def test_accessibility_check_finds_a_violation_when_there_is_one(page, live_server):
    # The check above could pass by never running: here it must see an unlabelled field.
    page.goto(live_server.url + "/")
    page.evaluate("document.querySelector('label[for=id_amount]').remove()")

    assert any(v.startswith("label ") for v in serious_violations(page, live_server))
