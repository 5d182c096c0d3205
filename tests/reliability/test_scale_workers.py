"""Three Celery workers, each its own process group (as on three hosts), on one PostgreSQL and
one Redis: the same base sent to all three at once is scraped by one (the Redis lock in
scrapers/tasks.py, across processes), and when the host running it is killed mid-crawl the
task comes back to another worker (acks late + the broker's visibility timeout), which takes
over the dead run's lock and stores every rate once."""

import uuid
from decimal import Decimal

import pytest
from django.conf import settings

from koel.celery import app
from rates.ingest.loading import currencies_load, sources_load
from rates.models import Currency, ExchangeRate, RunStatus, ScrapeRun, Source
from rates.runs.scraping import TASKS
from tests.scrapers.crawling import child_env
from tests.scrapers.replay import ReplayServer, Reply
from tests.scrapers.test_manager import open_er_api

from .processes import wait_for, worker

# send_task goes to the real broker whatever the autouse eager fixture says.
pytestmark = pytest.mark.filterwarnings("ignore::celery.exceptions.AlwaysEagerIgnored")
# Seconds: longer than a run takes on a busy 2-core host (27–36 s seen here), as in production
# it must outlast the hard time limit.
VISIBILITY = 60


def test_a_lost_task_is_acknowledged_late_and_handed_on_after_its_time_limit():
    assert settings.CELERY_TASK_ACKS_LATE
    assert settings.CELERY_TASK_REJECT_ON_WORKER_LOST
    hard_limit = settings.KOEL_SCRAPE_TIME_LIMIT + 60  # scrapers.tasks.LIMITS
    visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    # Shorter, and a task still running would be delivered to a second worker.
    assert visibility > max(hard_limit, settings.CELERY_TASK_TIME_LIMIT)


def _group_of_eur_and_usd(server_url: str) -> None:
    currencies_load()
    sources_load()
    Currency.objects.exclude(code__in=["EUR", "USD"]).update(active=False)
    Source.objects.exclude(code__in=["open_er_api", "koel"]).update(enabled=False)
    Source.objects.filter(code="open_er_api").update(base_url=server_url, politeness_delay=0)


@pytest.mark.long  # three workers and a redelivery after the visibility timeout: a minute or two
def test_one_scrape_per_base_across_workers_and_a_killed_host_s_task_is_run_by_another(
    transactional_db, tmp_path
):
    queue = f"koel-scale-{uuid.uuid4().hex[:8]}"
    eur = open_er_api("EUR", {"USD": "1.0842"})
    routes = {
        # The first crawl of EUR hangs, long enough to kill its host mid-crawl.
        "/v6/latest/EUR": [Reply(200, eur[1], eur[2], delay=25), eur],
    }
    env = child_env(KOEL_BROKER_VISIBILITY_TIMEOUT=str(VISIBILITY), KOEL_BROKER_RESTORE_SECONDS="1")
    with ReplayServer(routes) as server:
        _group_of_eur_and_usd(server.url)
        nodes = [worker(f"w{n}", queue, env, tmp_path) for n in (1, 2, 3)]
        try:
            ready = wait_for(lambda: all("ready." in n.output() for n in nodes), timeout=60)
            assert ready, "\n".join(n.output()[-2000:] for n in nodes)
            ids = [uuid.uuid4().hex for _ in range(3)]
            for task_id in ids:
                app.send_task(TASKS["base"], args=["EUR", "beat"], task_id=task_id, queue=queue)
            busy = wait_for(lambda: [n for n in nodes if n.descendants("manage.py crawl")], 60)
            assert busy, "no worker started a crawl"
            victim = busy[0]
            skipped = wait_for(lambda: _runs(RunStatus.SKIPPED, 2), timeout=30)
            victim.kill()
            done = wait_for(lambda: _runs(RunStatus.SUCCEEDED, 1), timeout=VISIBILITY + 120)
        finally:
            for node in nodes:
                node.stop()
        logs = {n.name: n.output() for n in nodes}

    assert done, "\n\n".join(f"== {name}\n{log[-4000:]}" for name, log in logs.items())
    (winner,) = done
    # The two other sends found the base's lock taken by the first, from other processes.
    assert len(skipped) == 2
    assert {run.errors[0] for run in skipped} == {"another run holds the lock"}
    assert {run.task_id for run in skipped} | {winner.task_id} == set(ids)
    # The killed run is closed as interrupted; its task, delivered again, ran on another host.
    runs = list(ScrapeRun.objects.values_list("id", "status", "started_at", "finished_at"))
    failed = [run for run in ScrapeRun.objects.all() if run.status == RunStatus.FAILED]
    assert len(failed) == 1, runs  # two would mean it was delivered again while running
    (interrupted,) = failed
    assert interrupted.task_id == winner.task_id
    assert "interrupted" in interrupted.errors[0]
    ran_it = [name for name, log in logs.items() if f"[{winner.task_id}] succeeded" in log]
    assert ran_it, logs
    assert ran_it != [victim.name]
    assert "taking it over" in logs[ran_it[0]]
    # Every rate once: the hung crawl stored nothing, the retry stored each pair once.
    stored = sorted((r.base_id, r.target_id, r.rate) for r in ExchangeRate.objects.all())
    assert stored == [("EUR", "USD", Decimal("1.0842"))]
    assert len(server.times("/v6/latest/EUR")) == 2


def _runs(status: str, count: int) -> list[ScrapeRun] | None:
    runs = list(ScrapeRun.objects.filter(status=status).order_by("id"))
    return runs if len(runs) >= count else None
