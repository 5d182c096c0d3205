"""A run's admin page follows the run while it is queued or running."""

from pathlib import Path

import pytest
from django.urls import reverse

from rates.models import RunStatus, ScrapeRun


def page(client, run):
    return client.get(reverse("admin:rates_scraperun_change", args=[run.id]))


@pytest.mark.parametrize("status", [RunStatus.QUEUED, RunStatus.RUNNING])
def test_a_live_run_page_refreshes_on_its_own(admin_client, db, status):
    run = ScrapeRun.objects.create(
        scope="group", target="primary", status=status, bases_total=15, bases_done=4
    )

    response = page(admin_client, run)

    assert response.status_code == 200
    assert f'data-url="/api/v1/runs/{run.id}/"' in response.text
    assert 'data-live="1"' in response.text
    assert "run_progress.js" in response.text
    assert '<noscript><meta http-equiv="refresh" content="3"></noscript>' in response.text
    assert 'max="15" value="4"' in response.text


def test_a_queued_run_page_says_it_waits_for_a_worker(admin_client, db):
    run = ScrapeRun.objects.create(scope="base", target="USD", status=RunStatus.QUEUED)

    assert "Waiting for a Celery worker" in page(admin_client, run).text


def test_a_finished_run_page_stays_still(admin_client, db):
    run = ScrapeRun.objects.create(
        scope="base", target="USD", status=RunStatus.SUCCEEDED, bases_total=1, bases_done=1
    )

    response = page(admin_client, run)

    assert 'data-live="0"' in response.text
    assert "http-equiv" not in response.text
    assert "run_progress.js" not in response.text


def test_the_api_the_page_polls_answers_a_queued_run(client, db):
    run = ScrapeRun.objects.create(scope="base", target="USD", status=RunStatus.QUEUED)

    detail = client.get(f"/api/v1/runs/{run.id}/").json()

    assert (detail["status"], detail["bases_done"], detail["duration"]) == ("queued", 0, None)


def test_the_progress_script_is_served():
    from django.contrib.staticfiles import finders

    script = finders.find("rates/admin/run_progress.js")

    assert script is not None
    text = Path(script).read_text()
    assert "panel.dataset.url" in text
    assert "window.location.reload()" in text


def test_the_runs_list_shows_a_queued_run_as_queued(admin_client, db):
    ScrapeRun.objects.create(scope="base", target="USD", status=RunStatus.QUEUED)

    response = admin_client.get(reverse("admin:rates_scraperun_changelist"))

    assert response.status_code == 200
    assert '<td class="field-duration_display">queued</td>' in response.text
