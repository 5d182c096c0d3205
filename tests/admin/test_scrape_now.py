"""Scrape now from the admin: a group, a base or a source; each queues a run (a ScrapeRun row
and its task on the broker) and sends the admin to the run's page."""

import pytest
from django.urls import reverse

from rates.models import Currency, RunStatus, ScrapeRun, Source
from rates.runs.scraping import TASKS

SCRAPE = reverse("admin:scrape")

# The autouse eager-Celery fixture warns that send_task ignores it: these tasks are meant to
# reach the broker, where the tests read them back.
pytestmark = pytest.mark.filterwarnings("ignore::celery.exceptions.AlwaysEagerIgnored")


def run_page(run: ScrapeRun) -> str:
    return reverse("admin:rates_scraperun_change", args=[run.id])


def test_scrape_base_now_creates_a_run_and_redirects_to_it(
    admin_client, sources, currencies, broker, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(SCRAPE, {"scope": "base", "target": "usd"})

    run = ScrapeRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == run_page(run)
    assert (run.scope, run.target, run.trigger, run.status) == (
        "base",
        "USD",
        "admin",
        RunStatus.QUEUED,
    )
    # The task went to the broker under the run's task id, so the worker adopts this row.
    assert broker.sent() == [(TASKS["base"], run.task_id, ["USD", "admin"])]
    page = admin_client.get(response["Location"])
    assert page.status_code == 200
    assert "Scrape of base USD queued as run" in page.text


def test_the_task_is_sent_only_once_the_run_is_committed(
    admin_client, sources, currencies, broker, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        admin_client.post(SCRAPE, {"scope": "group", "target": "primary"})

    assert broker.sent() == []
    assert len(callbacks) == 1
    callbacks[0]()
    run = ScrapeRun.objects.get()
    assert broker.sent() == [(TASKS["group"], run.task_id, ["primary", "admin"])]


def test_scrape_source_now_from_the_dashboard(
    admin_client, sources, currencies, broker, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(SCRAPE, {"scope": "source", "target": "ecb"})

    run = ScrapeRun.objects.get()
    assert response["Location"] == run_page(run)
    assert (run.scope, run.target) == ("source", "ecb")
    assert broker.sent() == [(TASKS["source"], run.task_id, ["ecb", "admin"])]


@pytest.mark.parametrize(
    ("scope", "target", "message"),
    [
        ("base", "XAU", "XAU is not active: turn it on in Currencies first."),
        ("base", "QQQ", "No currency &#x27;QQQ&#x27;: give an ISO 4217 code such as USD."),
        ("base", "  ", "This field is required."),
        (
            "group",
            "planet",
            "No currency group &#x27;planet&#x27;: choose one of primary, secondary.",
        ),
        ("source", "alpha", "Source alpha cannot be scraped now: disabled."),
        ("source", "nowhere", "No source &#x27;nowhere&#x27;."),
        ("planet", "USD", "Select a valid choice. planet is not one of the available choices."),
    ],
)
def test_a_scrape_that_would_scrape_nothing_is_refused_with_the_reason(
    admin_client, sources, currencies, broker, scope, target, message
):
    Source.objects.filter(code="alpha").update(enabled=False)

    response = admin_client.post(SCRAPE, {"scope": scope, "target": target})

    assert response.status_code == 200
    assert message in response.text
    assert 'id="scrape-errors"' in response.text
    assert not ScrapeRun.objects.exists()
    assert broker.sent() == []


def test_a_group_without_active_currencies_is_refused(admin_client, sources, currencies):
    Currency.objects.filter(group="secondary").update(active=False)

    response = admin_client.post(SCRAPE, {"scope": "group", "target": "secondary"})

    assert "The secondary group has no active currency to scrape." in response.text
    assert not ScrapeRun.objects.exists()


def test_scrape_now_takes_only_posts(admin_client, db):
    assert admin_client.get(SCRAPE, {"scope": "base", "target": "USD"}).status_code == 405


def test_non_staff_users_are_refused(client, django_user_model, sources, currencies):
    analyst = django_user_model.objects.create_user("analyst", password="x")  # noqa: S106
    client.force_login(analyst)

    dashboard = client.get(reverse("admin:dashboard"))
    scrape = client.post(SCRAPE, {"scope": "base", "target": "USD"})

    for response in (dashboard, scrape):
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))
    assert not ScrapeRun.objects.exists()


def test_anonymous_visitors_are_sent_to_the_login(client, db):
    response = client.get(reverse("admin:dashboard"))

    assert response.status_code == 302
    assert response["Location"] == reverse("admin:login") + "?next=/admin/dashboard/"


def test_staff_without_the_runs_permission_may_not_scrape(
    client, django_user_model, sources, currencies
):
    staff = django_user_model.objects.create_user("helpdesk", is_staff=True)
    client.force_login(staff)

    assert client.post(SCRAPE, {"scope": "base", "target": "USD"}).status_code == 403
    assert not ScrapeRun.objects.exists()


def test_source_action_scrapes_the_source_and_redirects_to_its_run(
    admin_client, sources, currencies, broker, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("admin:rates_source_changelist"),
            {"action": "scrape_now", "_selected_action": ["ecb"], "index": 0},
        )

    run = ScrapeRun.objects.get()
    assert response["Location"] == run_page(run)
    assert (run.scope, run.target, run.status) == ("source", "ecb", RunStatus.QUEUED)
    assert broker.sent() == [(TASKS["source"], run.task_id, ["ecb", "admin"])]


def test_source_action_on_several_sources_lists_their_runs(
    admin_client, sources, currencies, broker, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("admin:rates_source_changelist"),
            {"action": "scrape_now", "_selected_action": ["ecb", "alpha"], "index": 0},
            follow=True,
        )

    runs = ScrapeRun.objects.order_by("target")
    assert [(r.scope, r.target) for r in runs] == [("source", "alpha"), ("source", "ecb")]
    assert sorted(r.id for r in response.context["cl"].result_list) == sorted(r.id for r in runs)
    assert len(broker.sent()) == 2


def test_currency_action_scrapes_each_as_a_base(
    admin_client, sources, currencies, broker, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("admin:rates_currency_changelist"),
            {"action": "scrape_now", "_selected_action": ["JPY"], "index": 0},
        )

    run = ScrapeRun.objects.get()
    assert response["Location"] == run_page(run)
    assert (run.scope, run.target) == ("base", "JPY")
    assert broker.sent() == [(TASKS["base"], run.task_id, ["JPY", "admin"])]


def test_currency_action_reports_an_inactive_base_and_queues_nothing(
    admin_client, sources, currencies
):
    response = admin_client.post(
        reverse("admin:rates_currency_changelist"),
        {"action": "scrape_now", "_selected_action": ["XAU"], "index": 0},
        follow=True,
    )

    assert "Not scraped: XAU is not active: turn it on in Currencies first." in response.text
    assert not ScrapeRun.objects.exists()


def test_staff_without_the_runs_permission_see_no_scrape_forms_or_actions(
    client, django_user_model, sources, currencies
):
    staff = django_user_model.objects.create_user("helpdesk", is_staff=True)
    staff.user_permissions.add(*_permissions("view_currency", "change_source", "view_source"))
    client.force_login(staff)

    dashboard = client.get(reverse("admin:dashboard"))
    currencies_page = client.get(reverse("admin:rates_currency_changelist"))
    sources_page = client.get(reverse("admin:rates_source_changelist"))

    assert dashboard.status_code == 200
    assert 'id="scrape-now"' not in dashboard.text
    assert SCRAPE not in dashboard.text
    assert 'value="scrape_now"' not in currencies_page.text
    assert 'value="scrape_now"' not in sources_page.text
    assert 'value="reset_circuit"' in sources_page.text  # the other actions stay


def test_the_runs_permission_is_enough_to_scrape(
    client, django_user_model, sources, currencies, broker, django_capture_on_commit_callbacks
):
    operator = django_user_model.objects.create_user("operator", is_staff=True)
    operator.user_permissions.add(*_permissions("view_scraperun"))
    client.force_login(operator)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(SCRAPE, {"scope": "group", "target": "primary"})

    run = ScrapeRun.objects.get()
    assert response["Location"] == run_page(run)
    assert client.get(response["Location"]).status_code == 200


def _permissions(*codenames):
    from django.contrib.auth.models import Permission

    return Permission.objects.filter(codename__in=codenames)
