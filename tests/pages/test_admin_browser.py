"""The admin back office in a real browser (Chromium): logging in through the form, the
dashboard's freshness verdicts, "scrape base now" and the run page that follows the run, and
axe-core on both pages.

The suite runs Celery eagerly (tests/conftest.py), but "scrape now" queues its task by name
(send_task), which eagerness does not reach: the task goes to the broker and, with no worker in
the tests, the run stays queued. The test then plays the worker through rates.runs.services
while the page polls /api/v1/runs/<id>/.
"""

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from rates.models import RunStatus, ScrapeRun
from rates.runs.schedules import schedules_load
from rates.runs.scraping import TASKS
from rates.runs.services import run_attempt, run_finish, run_progress, run_start
from tests.broker import broker_redis

from .test_accessibility import serious_violations

PASSWORD = "a-long-test-password-1"  # noqa: S105
POLL = 10_000  # ms: the run page looks again every 3 s; room for two polls and a reload

# The live server's "scrape now" sends its task by name, which the eager test set-up ignores
# (and warns about): here it is meant to reach the broker.
pytestmark = pytest.mark.filterwarnings("ignore::celery.exceptions.AlwaysEagerIgnored")


@pytest.fixture
def operator(django_user_model):
    return django_user_model.objects.create_user(
        "operator", password=PASSWORD, is_staff=True, is_superuser=True
    )


@pytest.fixture
def broker():
    """The tasks sent to the broker's default queue during the test, as (name, id, args);
    removed from the queue afterwards so no worker ever scrapes them."""
    with broker_redis() as client:
        before = client.llen("celery")

        def sent() -> list[tuple[str, str, list]]:
            # LPUSH puts new messages at the head: the test's are the first len - before.
            count = client.llen("celery") - before
            fresh = client.lrange("celery", 0, count - 1) if count > 0 else []
            headers = [json.loads(raw)["headers"] for raw in fresh]
            return [(h["task"], h["id"], h["argsrepr"]) for h in headers]

        yield sent
        count = client.llen("celery") - before
        if count > 0:
            client.ltrim("celery", count, -1)


@pytest.fixture
def scheduled(currencies, sources):
    schedules_load()


def at(delta: timedelta) -> str:
    return (datetime.now(UTC) - delta).replace(microsecond=0).isoformat()


def log_in(page, live_server, username: str = "operator", password: str = PASSWORD):
    page.goto(f"{live_server.url}/admin/login/?next=/admin/dashboard/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def test_admin_logs_in_through_the_form_and_lands_on_the_dashboard(page, live_server, operator):
    log_in(page, live_server)

    expect(page).to_have_url(f"{live_server.url}/admin/dashboard/")
    expect(page.get_by_role("heading", name="Freshness per currency group")).to_be_visible()
    expect(page.locator("#user-tools")).to_contain_text("operator")


def test_a_wrong_password_stays_on_the_login_form_with_the_reason(page, live_server, operator):
    log_in(page, live_server, password="not-the-password")  # noqa: S106

    expect(page).to_have_url(re.compile(r"/admin/login/"))
    expect(page.locator(".errornote")).to_contain_text(
        "Please enter the correct username and password"
    )
    page.goto(f"{live_server.url}/admin/dashboard/")
    expect(page).to_have_url(re.compile(r"/admin/login/\?next=/admin/dashboard/"))


def test_dashboard_shows_a_stale_group_as_stale_and_a_fresh_one_as_fresh(
    page, live_server, operator, store, scheduled
):
    store("ecb", ("EUR", "USD", "1.08", at(timedelta(days=2))))  # primary: every 6 h
    store("ecb", ("PLN", "USD", "0.25", at(timedelta(hours=3))))  # secondary: every 12 h
    log_in(page, live_server)

    primary = page.locator('tr[data-group="primary"]')
    secondary = page.locator('tr[data-group="secondary"]')
    expect(primary.locator(".koel-status")).to_have_text("stale")
    expect(primary).to_contain_text("6 h 30 min")  # the schedule's gap and the grace
    expect(secondary.locator(".koel-status")).to_have_text("fresh")
    expect(secondary).to_contain_text("12 h 30 min")
    # The verdicts differ in colour too, not only in words.
    assert colour(primary.locator(".koel-status")) != colour(secondary.locator(".koel-status"))


def colour(locator) -> str:
    return locator.evaluate("e => getComputedStyle(e).backgroundColor + getComputedStyle(e).color")


def test_scrape_base_now_queues_a_run_whose_page_follows_its_progress(
    page, live_server, operator, currencies, sources, broker
):
    log_in(page, live_server)
    page.get_by_label("Base").fill("usd")
    page.get_by_role("button", name="Scrape base now").click()

    expect(page).to_have_url(re.compile(r"/admin/rates/scraperun/\d+/change/$"))
    run = ScrapeRun.objects.get()
    assert page.url == f"{live_server.url}/admin/rates/scraperun/{run.id}/change/"
    assert (run.scope, run.target, run.trigger, run.status) == ("base", "USD", "admin", "queued")
    assert broker() == [(TASKS["base"], run.task_id, "['USD', 'admin']")]  # no worker here
    panel = page.locator("#run-progress")
    expect(page.locator(".messagelist")).to_contain_text(f"queued as run {run.id}")
    expect(panel.locator('[data-field="status"]')).to_have_text("queued")
    expect(panel.locator('[data-field="queued-note"]')).to_be_visible()
    page.evaluate("window.koelSamePage = true")  # gone if anything reloads the page

    # The worker picks the run up and reports progress; the page shows it in place.
    running = run_start(
        scope="base", target="USD", trigger="admin", bases_total=2, task_id=run.task_id
    )
    assert running.id == run.id
    expect(panel.locator('[data-field="status"]')).to_have_text("running", timeout=POLL)
    expect(panel.locator('[data-field="queued-note"]')).to_be_hidden()
    expect(panel.locator('[data-field="bases_total"]')).to_have_text("2")
    attempt = {"source": "ecb", "bases": ["USD"], "outcome": "ok", "written": 31, "seconds": 0.4}
    run_attempt(running, attempt, stored=31, quarantined=1)
    run_progress(running, bases_done=1)
    expect(panel.locator('[data-field="rates_stored"]')).to_have_text("31", timeout=POLL)
    expect(panel.locator('[data-field="rates_quarantined"]')).to_have_text("1")
    expect(panel.locator('[data-field="attempts"]')).to_have_text("1")
    expect(panel.locator("progress")).to_have_js_property("value", 1)
    assert page.evaluate("window.koelSamePage") is True

    # It ends: the page loads the finished run once (attempts, outcome) and stops polling.
    run_finish(running, any_read=True, derived=4, errors=[])
    expect(panel.locator('[data-field="status"]')).to_have_text("succeeded", timeout=POLL)
    expect(panel).to_have_attribute("data-live", "0")
    expect(panel.locator('[data-field="bases_done"]')).to_have_text("2")
    expect(panel.locator('[data-field="rates_derived"]')).to_have_text("4")
    expect(page.locator(".field-attempts_table")).to_contain_text("ecb")
    assert ScrapeRun.objects.get().status == RunStatus.SUCCEEDED


@pytest.mark.parametrize(
    "scheme", ["light", pytest.param("dark", marks=pytest.mark.long)]
)  # dark of every page: test_pages_accessibility
def test_dashboard_has_no_serious_accessibility_violation(
    page, live_server, operator, store, scheduled, scheme
):
    store("ecb", ("EUR", "USD", "1.08", at(timedelta(days=2))))
    store("ecb", ("PLN", "USD", "0.25", at(timedelta(hours=3))))
    ScrapeRun.objects.create(scope="base", target="JPY", status="failed", errors=["no source"])
    page.emulate_media(color_scheme=scheme)
    log_in(page, live_server)
    expect(page.locator('tr[data-group="primary"]')).to_be_visible()

    assert serious_violations(page, live_server) == []


@pytest.mark.parametrize("status", [RunStatus.QUEUED, RunStatus.RUNNING, RunStatus.FAILED])
@pytest.mark.parametrize(
    "scheme", ["light", pytest.param("dark", marks=pytest.mark.long)]
)  # dark of every page: test_pages_accessibility
def test_run_page_has_no_serious_accessibility_violation(
    page, live_server, operator, db, status, scheme
):
    run = ScrapeRun.objects.create(
        scope="group", target="primary", status=status, bases_total=15, bases_done=4
    )
    page.emulate_media(color_scheme=scheme)
    log_in(page, live_server)
    page.goto(f"{live_server.url}/admin/rates/scraperun/{run.id}/change/")
    expect(page.locator("#run-progress")).to_be_visible()

    assert serious_violations(page, live_server) == []
