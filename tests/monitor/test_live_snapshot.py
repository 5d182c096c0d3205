"""GET /api/v1/monitor/live/ and monitor.live.live_snapshot(): the shape of docs/monitor.md,
the open (the rate in force at 00:00 UTC) and the change since it, the feed's states."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from monitor.live import live_snapshot
from monitor.models import LiveFeed
from monitor.schedule import LIVE_TASK_NAME, live_schedules_load
from rates.ingest.loading import currencies_load, sources_load
from rates.ingest.services import rates_upsert
from rates.types import RateRow

pytestmark = pytest.mark.django_db

URL = "/api/v1/monitor/live/"
RATE_KEYS = {"pair", "base", "target", "rate", "open", "change_pct", "source", "observed_at"}


@pytest.fixture(autouse=True)
def reference_data():
    currencies_load()
    sources_load()
    live_schedules_load()


def midnight() -> datetime:
    return datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def store(source: str, base: str, target: str, rate: str, at: datetime, derived=False) -> None:
    rates_upsert(source=source, rows=[RateRow(base, target, Decimal(rate), at, derived=derived)])


def test_the_snapshot_has_the_contract_shape(client):
    LiveFeed.objects.create(pk=1, state="up", source="yahoo", last_tick_at=timezone.now())

    response = client.get(URL)

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"feed", "pairs", "crosses"}
    assert set(body["feed"]) == {"state", "reason", "last_tick_at", "source", "interval_seconds"}
    assert body["feed"]["state"] == "up"
    assert body["feed"]["source"] == "yahoo"
    assert body["feed"]["interval_seconds"] == 30
    assert [p["pair"] for p in body["pairs"]][:3] == ["EUR/USD", "GBP/USD", "USD/JPY"]
    assert len(body["pairs"]) == 8
    assert len(body["crosses"]) == 28
    assert all(set(p) == RATE_KEYS | {"derived"} for p in body["pairs"] + body["crosses"])
    assert reverse("monitor_live:live") == URL


def test_a_pair_shows_its_latest_live_quote_the_open_and_the_change(client):
    store("yahoo", "EUR", "USD", "1.0810", midnight() - timedelta(minutes=5))
    store("ecb", "EUR", "USD", "1.0700", midnight() - timedelta(hours=10))  # older: not in force
    now = timezone.now() - timedelta(seconds=20)
    store("yahoo", "EUR", "USD", "1.0842", now)
    store("koel", "GBP", "JPY", "195.2031", midnight() - timedelta(hours=1), derived=True)
    store("koel", "GBP", "JPY", "195.6113", now, derived=True)

    body = client.get(URL).json()

    eurusd = body["pairs"][0]
    assert eurusd == {
        "pair": "EUR/USD",
        "base": "EUR",
        "target": "USD",
        "rate": "1.0842",
        "open": "1.0810",
        "change_pct": "0.296",  # (1.0842 / 1.0810 - 1) × 100
        "source": "yahoo",
        "observed_at": now.isoformat(),
        "derived": False,
    }
    gbpjpy = next(c for c in body["crosses"] if c["pair"] == "GBP/JPY")
    assert (gbpjpy["rate"], gbpjpy["open"], gbpjpy["source"], gbpjpy["derived"]) == (
        "195.6113",
        "195.2031",
        "koel",
        True,
    )
    assert gbpjpy["change_pct"] == "0.209"


def test_a_pair_without_rates_has_nulls(client):
    usdjpy = client.get(URL).json()["pairs"][2]

    assert usdjpy["pair"] == "USD/JPY"
    assert [usdjpy[key] for key in ("rate", "open", "change_pct", "source", "observed_at")] == [
        None
    ] * 5


def test_without_an_open_the_change_is_null():
    store("yahoo", "EUR", "USD", "1.0842", timezone.now() - timedelta(seconds=20))

    eurusd = live_snapshot()["pairs"][0]

    assert (eurusd["rate"], eurusd["open"], eurusd["change_pct"]) == ("1.0842", None, None)


def test_the_feed_is_idle_before_any_tick_and_when_the_tick_is_disabled():
    assert live_snapshot()["feed"]["state"] == "idle"  # no tick yet

    LiveFeed.objects.create(pk=1, state="up", last_tick_at=timezone.now())
    PeriodicTask.objects.filter(name=LIVE_TASK_NAME).update(enabled=False)
    feed = live_snapshot()["feed"]
    assert (feed["state"], feed["interval_seconds"]) == ("idle", None)
    assert "not scheduled" in feed["reason"]


def test_the_feed_is_down_with_its_reason_and_when_ticks_stop():
    LiveFeed.objects.create(
        pk=1, state="down", reason="live feed down: …", last_tick_at=timezone.now()
    )
    assert live_snapshot()["feed"]["reason"] == "live feed down: …"

    LiveFeed.objects.filter(pk=1).update(
        state="up", reason="", last_tick_at=timezone.now() - timedelta(minutes=5)
    )
    feed = live_snapshot()["feed"]
    assert feed["state"] == "down"
    assert feed["reason"].startswith("no tick for 300 s")


def test_the_snapshot_is_documented_in_the_openapi_schema(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()

    operation = schema["paths"][URL]["get"]
    assert operation["operationId"] == "monitor_live"
    example = operation["responses"]["200"]["content"]["application/json"]["examples"]
    assert next(iter(example.values()))["value"]["pairs"][0]["pair"] == "EUR/USD"


def test_the_snapshot_is_throttled_like_the_other_reads(client, settings):
    settings.KOEL_ANON_RATE = "2/minute"

    statuses = [client.get(URL).status_code for _ in range(3)]

    assert statuses == [200, 200, 429]
