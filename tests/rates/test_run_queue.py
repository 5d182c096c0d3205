"""Queued runs: created before their task (rates.runs.services.run_queue) and adopted by it."""

import pytest

from rates.models import RunStatus, ScrapeRun
from rates.runs.services import run_abandon, run_queue, run_skip, run_start

# run_queue's task goes through send_task, which the autouse eager fixture cannot make eager.
pytestmark = pytest.mark.filterwarnings("ignore::celery.exceptions.AlwaysEagerIgnored")


@pytest.fixture
def queued(db):
    return run_queue(scope="base", target="USD", trigger="admin")


def test_a_queued_run_waits_under_its_own_task_id(queued):
    other = run_queue(scope="base", target="USD", trigger="admin")

    assert queued.status == RunStatus.QUEUED
    assert queued.task_id
    assert queued.task_id != other.task_id
    assert (queued.bases_total, queued.finished_at, queued.duration) == (0, None, None)


def test_the_task_starting_adopts_the_queued_run(queued):
    run = run_start(
        scope="base", target="USD", trigger="admin", bases_total=1, task_id=queued.task_id
    )

    assert run.id == queued.id
    assert (run.status, run.bases_total) == (RunStatus.RUNNING, 1)
    assert run.started_at >= queued.started_at
    assert ScrapeRun.objects.count() == 1


def test_a_run_of_another_task_leaves_the_queued_one_alone(queued):
    run = run_start(scope="base", target="USD", trigger="beat", bases_total=1, task_id="beat-1")

    queued.refresh_from_db()
    assert run.id != queued.id
    assert queued.status == RunStatus.QUEUED  # not taken for an interrupted run either


def test_a_skipped_task_marks_its_queued_run_skipped(queued):
    run = run_skip(
        scope="base", target="USD", trigger="admin", reason="locked", task_id=queued.task_id
    )

    assert run.id == queued.id
    assert (run.status, run.errors) == (RunStatus.SKIPPED, ["locked"])
    assert run.finished_at is not None


def test_a_task_that_fails_before_starting_closes_its_queued_run(queued):
    assert run_abandon(task_id=queued.task_id, error="ValueError: nothing to scrape") is True

    queued.refresh_from_db()
    assert (queued.status, queued.errors) == (RunStatus.FAILED, ["ValueError: nothing to scrape"])
    assert run_abandon(task_id=queued.task_id, error="again") is False  # no longer queued
    assert run_abandon(task_id="", error="no id") is False


def test_the_scrape_task_closes_its_queued_run_when_there_is_nothing_to_scrape(currencies):
    from scrapers.tasks import scrape_base

    run = run_queue(scope="base", target="XAU", trigger="admin")  # XAU: inactive

    with pytest.raises(ValueError, match="nothing to scrape"):
        scrape_base.apply(args=["XAU", "admin"], task_id=run.task_id)

    run.refresh_from_db()
    assert run.status == RunStatus.FAILED
    assert "nothing to scrape for base 'XAU'" in run.errors[0]
