"""/health/ (readiness): 200 when every part is up and the data fresh, 503 naming the cause."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.cache import cache
from django.db import connections
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from rates.runs.health_checks import (
    WORKER_HEARTBEAT_KEY,
    database_check,
    redis_check,
    worker_heartbeat_record,
)
from rates.runs.schedules import schedules_load
from rates.tasks import heartbeat

CLOSED = "redis://127.0.0.1:1/0"  # nothing listens on port 1


def at(delta: timedelta) -> str:
    return (datetime.now(UTC) - delta).replace(microsecond=0).isoformat()


@pytest.fixture
def healthy(store):
    """Everything up: schedules loaded, beat ticked a minute ago, a worker's heartbeat, and a
    fresh rate in both scheduled groups."""
    schedules_load()
    PeriodicTask.objects.filter(name="koel: worker heartbeat").update(
        last_run_at=timezone.now() - timedelta(minutes=1)
    )
    heartbeat.delay()  # eager: runs here, as a worker would
    store("ecb", ("EUR", "USD", "1.08", at(timedelta(hours=1))))  # primary
    store("ecb", ("PLN", "USD", "0.25", at(timedelta(hours=1))))  # secondary


def failing(client) -> list[str]:
    response = client.get("/health/")
    assert response.status_code == (200 if not response.json()["failing"] else 503)
    return response.json()["failing"]


def test_health_is_200_with_each_check_listed_when_all_is_well(client, healthy):
    response = client.get("/health/")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    names = [check["name"] for check in body["checks"]]
    assert names == [
        "database",
        "redis",
        "broker",
        "worker",
        "beat",
        "freshness:primary",
        "freshness:secondary",
    ]
    assert all(check["ok"] for check in body["checks"])
    assert response["Cache-Control"].startswith("max-age=0")


def test_database_down_is_named_then_back(monkeypatch, client, healthy):
    # The check opens its own connection with the default's settings: a port nothing listens
    # on breaks it without touching the test's open connection.
    monkeypatch.setitem(connections["default"].settings_dict, "PORT", "1")
    monkeypatch.setitem(connections["default"].settings_dict, "HOST", "127.0.0.1")

    response = client.get("/health/")
    assert (response.status_code, response.json()["failing"]) == (503, ["database"])
    unchecked = [c["name"] for c in response.json()["checks"] if c["ok"] is None]
    assert unchecked == ["beat", "freshness"]  # they read the database
    assert not database_check().ok

    monkeypatch.undo()
    assert failing(client) == []


def test_redis_down_is_named_then_back(settings, client, healthy):
    url = settings.REDIS_URL
    settings.REDIS_URL = CLOSED

    response = client.get("/health/")
    assert (response.status_code, response.json()["failing"]) == (503, ["redis"])
    worker = next(c for c in response.json()["checks"] if c["name"] == "worker")
    assert worker == {"name": "worker", "ok": None, "detail": "not checked: redis is down"}
    assert "ConnectionError" in redis_check().detail

    settings.REDIS_URL = url
    assert failing(client) == []


def test_broker_down_is_named_then_back(settings, client, healthy):
    url = settings.CELERY_BROKER_URL
    settings.CELERY_BROKER_URL = CLOSED

    assert failing(client) == ["broker"]

    settings.CELERY_BROKER_URL = url
    assert failing(client) == []


def test_no_worker_heartbeat_is_named_then_back(client, healthy):
    cache.delete(WORKER_HEARTBEAT_KEY)  # the same key, under the cache's prefix

    assert failing(client) == ["worker"]

    heartbeat.delay()
    assert failing(client) == []


def test_an_old_worker_heartbeat_is_down(settings, client, healthy):
    worker_heartbeat_record(now=timezone.now() - timedelta(seconds=181))
    assert failing(client) == ["worker"]

    settings.KOEL_HEALTH_WORKER_MAX_AGE = 300  # the bound is a setting
    assert failing(client) == []


def test_beat_not_ticking_is_named_then_back(client, healthy):
    tasks = PeriodicTask.objects.filter(enabled=True)
    tasks.update(last_run_at=timezone.now() - timedelta(minutes=11))
    assert failing(client) == ["beat"]

    tasks.filter(name="koel: worker heartbeat").update(last_run_at=timezone.now())
    assert failing(client) == []


def test_a_group_past_its_schedule_gap_is_stale(client, store):
    schedules_load()
    PeriodicTask.objects.update(last_run_at=timezone.now())
    heartbeat.delay()
    store("ecb", ("EUR", "USD", "1.08", at(timedelta(hours=7))))  # primary: every 6 h + 30 min
    store("ecb", ("PLN", "USD", "0.25", at(timedelta(hours=1))))

    response = client.get("/health/")

    assert response.status_code == 503
    assert response.json()["failing"] == ["freshness:primary"]
    detail = next(c for c in response.json()["checks"] if c["name"] == "freshness:primary")
    assert "stale after 23400 s" in detail["detail"]

    store("ecb", ("EUR", "USD", "1.08", at(timedelta(minutes=5))))
    assert failing(client) == []


def test_a_scheduled_group_without_rates_is_stale(client, sources, currencies):
    schedules_load()
    PeriodicTask.objects.update(last_run_at=timezone.now())
    heartbeat.delay()

    assert failing(client) == ["freshness:primary", "freshness:secondary"]
