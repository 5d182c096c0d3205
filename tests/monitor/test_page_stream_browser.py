"""The monitor page on the push stream, in Chromium: the stream server (granian's ASGI, a real
process: tests/monitor/conftest.py) pushes a landed rate to the page, which updates its card
without a reload or a poll; a firing of the reader's own rule lands in their timeline."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from alerts.models import AlertFiring, AlertRule
from tests.monitor.conftest import iso

pytestmark = pytest.mark.usefixtures("live_rates")


@pytest.fixture
def streamed(page, settings, stream_server, live_server):
    """The page reads the test's stream server; polling is slowed past any test's length, so
    whatever arrives came by the stream."""
    settings.KOEL_STREAM_URL = stream_server
    settings.KOEL_MONITOR_POLL_SECONDS = 3600
    page.goto(f"{live_server.url}/monitor/")
    expect(page.locator("#monitor")).to_have_attribute("data-mode", "stream")
    page.evaluate("window.sameDocument = true")  # gone if the page reloads
    return page


def test_stream_updates_a_card_without_a_reload(streamed, store):
    card = streamed.locator('.pair-card[data-pair="EUR/USD"]')
    expect(card.locator('[data-field="rate"]')).to_have_text("1.0842")

    store("yahoo", ("EUR", "USD", "1.0851", iso(timezone.now())))

    expect(card.locator('[data-field="rate"]')).to_have_text("1.0851")
    expect(card.locator('[data-field="change"]')).to_contain_text("+0.38 %")
    row = streamed.locator('#monitor-table tr[data-pair="EUR/USD"]')
    expect(row.locator('[data-field="rate"]')).to_have_text("1.0851")
    expect(streamed.locator("#monitor-chart")).to_have_attribute("data-drawn", "2")
    assert streamed.evaluate("window.sameDocument") is True


def test_a_firing_of_the_readers_rule_reaches_their_timeline(
    page, settings, stream_server, live_server, signed_in, watcher, store
):
    AlertRule.objects.create(
        owner=watcher, base="EUR", target="USD", condition="above", threshold="1.085",
        name="euro over 1.085", notify_email=False,
    )  # fmt: skip
    # The page's host (live_server's "localhost"): the session cookie goes to the stream too.
    settings.KOEL_STREAM_URL = stream_server.replace("127.0.0.1", "localhost")
    settings.KOEL_MONITOR_POLL_SECONDS = 3600
    signed_in(page)
    page.goto(f"{live_server.url}/monitor/")
    expect(page.locator("#monitor")).to_have_attribute("data-mode", "stream")
    expect(page.locator('[data-field="no-firings"]')).to_be_visible()

    store("yahoo", ("EUR", "USD", "1.0861", iso(timezone.now())))  # evaluated on commit: fires
    assert AlertFiring.objects.filter(rule__owner=watcher).count() == 1

    timeline = page.locator("#firings-timeline li")
    expect(timeline).to_have_count(1)
    expect(timeline.first).to_contain_text("above 1.085 (euro over 1.085): 1 EUR = 1.0861 USD")
    expect(page.locator('[data-field="firings-total"]')).to_have_text(
        "1 firing in the last 30 days."
    )
    expect(page.locator('#firings-by-pair tr[data-key="EUR/USD"]')).to_contain_text("1")
