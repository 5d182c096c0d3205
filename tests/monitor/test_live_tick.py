"""The live tick against the replay server: quotes, cross rates, failover, feed down, unchanged
quotes, the overlap lock and the politeness budget."""

from datetime import UTC, datetime
from decimal import Decimal
from unittest.mock import patch

import pytest
from django.core.cache import cache

from monitor.models import FeedState, LiveFeed
from monitor.tasks import TICK_LOCK, live_tick
from monitor.ticks import live_tick_run
from rates.ingest.acceptance import rates_accept
from rates.ingest.loading import currencies_load, sources_load
from rates.models import ExchangeRate

from .live_replay import MAJORS, QueryReplayServer, wise_path, wise_routes, yahoo_path, yahoo_routes

pytestmark = pytest.mark.django_db

EARLIER, LATER = 1_796_000_000, datetime.fromtimestamp(1_796_000_060, UTC)


@pytest.fixture(autouse=True)
def reference_data():
    currencies_load()
    sources_load()


@pytest.fixture
def live_at(settings):
    """Point the live sources at replay servers: live_at(yahoo=server, wise=server)."""

    def point(**servers):
        settings.KOEL_LIVE_BASE_URLS = {code: server.url for code, server in servers.items()}

    return point


def rows(source: str) -> list[ExchangeRate]:
    return list(
        ExchangeRate.objects.filter(source_id=source).order_by("base", "target", "observed_at")
    )


def test_a_tick_stores_the_8_quotes_and_28_derived_cross_rates(live_at):
    with QueryReplayServer(yahoo_routes()) as yahoo, QueryReplayServer(wise_routes()) as wise:
        live_at(yahoo=yahoo, wise=wise)
        result = live_tick.delay().get()

    quotes, crosses = rows("yahoo"), rows("koel")
    assert {(r.base_id, r.target_id): r.rate for r in quotes} == MAJORS
    assert not any(r.derived for r in quotes)
    assert len(crosses) == 28
    assert all(r.derived for r in crosses)
    by_pair = {(r.base_id, r.target_id): r.rate for r in crosses}
    # Named in market order; a quoted pair keeps its quote, a cross multiplies its legs.
    assert by_pair[("EUR", "USD")] == Decimal("1.0842")
    assert by_pair[("GBP", "JPY")] == Decimal("1.2650") * Decimal("154.31")
    assert by_pair[("EUR", "JPY")] == Decimal("1.0842") * Decimal("154.31")
    assert ("JPY", "USD") not in by_pair
    assert ("AUD", "NZD") in by_pair
    assert len(yahoo.requests) == 8
    assert wise.requests == []
    feed = LiveFeed.current()
    assert (feed.state, feed.source, feed.answered, feed.stored) == ("up", "yahoo", 8, 36)
    assert result == {"skipped": False, "state": "up", "stored": 36}


def test_the_quotes_and_crosses_are_stored_in_one_transaction(live_at):
    def accept(*, source, rows):
        if source == "koel":
            raise RuntimeError("the cross rates' write failed")
        return rates_accept(source=source, rows=rows)

    with QueryReplayServer(yahoo_routes()) as yahoo:
        live_at(yahoo=yahoo)
        with (
            patch("monitor.ticks.rates_accept", side_effect=accept),
            pytest.raises(RuntimeError),
        ):
            live_tick_run(interval_seconds=30)

    # The quotes were written before the crosses failed; rolled back with them.
    assert rows("yahoo") == []
    assert rows("koel") == []
    feed = LiveFeed.current()
    assert (feed.state, feed.reason) == (
        "down",
        "storing the tick failed: the cross rates' write failed",
    )


def test_the_tick_requests_with_a_rotating_browser_user_agent(live_at):
    with QueryReplayServer(yahoo_routes()) as yahoo:
        live_at(yahoo=yahoo)
        live_tick_run(interval_seconds=30)

    agents = {headers["User-Agent"] for _, headers in yahoo.requests}
    assert agents
    assert all("Mozilla/5.0" in agent for agent in agents)


def test_an_overlapping_tick_is_skipped(live_at):
    with QueryReplayServer(yahoo_routes()) as yahoo:
        live_at(yahoo=yahoo)
        held = cache.lock(TICK_LOCK, timeout=60)
        assert held.acquire(blocking=False)
        try:
            result = live_tick.delay().get()
        finally:
            held.release()

    assert result == {"skipped": True}
    assert yahoo.requests == []
    assert rows("yahoo") == []


def test_failover_to_the_second_live_source_when_the_first_is_down(live_at):
    down = {yahoo_path(*pair): (503, b"unavailable", "text/plain") for pair in MAJORS}
    with QueryReplayServer(down) as yahoo, QueryReplayServer(wise_routes()) as wise:
        live_at(yahoo=yahoo, wise=wise)
        live_tick_run(interval_seconds=30)

    assert len(yahoo.requests) == 1  # a 503 means down: asked nothing more this tick
    assert {(r.base_id, r.target_id): r.rate for r in rows("wise")} == MAJORS
    assert len(rows("koel")) == 28
    feed = LiveFeed.current()
    assert (feed.state, feed.source, feed.reason) == ("up", "wise", "")


def test_the_second_source_is_asked_only_the_pairs_the_first_missed(live_at):
    routes = yahoo_routes()
    del routes[yahoo_path("USD", "JPY")], routes[yahoo_path("EUR", "GBP")]  # 404: no quote
    with QueryReplayServer(routes) as yahoo, QueryReplayServer(wise_routes()) as wise:
        live_at(yahoo=yahoo, wise=wise)
        live_tick_run(interval_seconds=30)

    assert len(yahoo.requests) == 8
    assert wise.paths() == [wise_path("USD", "JPY"), wise_path("EUR", "GBP")]
    assert len(rows("yahoo")) == 6
    assert len(rows("wise")) == 2
    assert len(rows("koel")) == 28


def test_the_feed_is_down_when_no_live_source_answers(live_at):
    down = {yahoo_path(*pair): (503, b"", "text/plain") for pair in MAJORS}
    gone = {wise_path(*pair): (429, b"", "text/plain") for pair in MAJORS}
    with QueryReplayServer(down) as yahoo, QueryReplayServer(gone) as wise:
        live_at(yahoo=yahoo, wise=wise)
        live_tick_run(interval_seconds=30)

    feed = LiveFeed.current()
    assert feed.state == FeedState.DOWN
    assert feed.reason.startswith("live feed down: no live source answered")
    assert "yahoo: HTTP 503" in feed.reason
    assert "wise: HTTP 429" in feed.reason
    assert ExchangeRate.objects.count() == 0


def test_an_unchanged_quote_is_not_stored_again(live_at):
    with QueryReplayServer(yahoo_routes(stamp=EARLIER)) as yahoo:
        live_at(yahoo=yahoo)
        live_tick_run(interval_seconds=30)
    moved = {**MAJORS, ("USD", "JPY"): Decimal("154.52")}
    # A minute later: every quote has a new time, only USD/JPY a new rate.
    with QueryReplayServer(yahoo_routes(moved, stamp=int(LATER.timestamp()))) as yahoo:
        live_at(yahoo=yahoo)
        feed = live_tick_run(interval_seconds=30)

    quotes = rows("yahoo")
    assert len(quotes) == 9
    assert [(r.base_id, r.target_id, r.rate) for r in quotes if r.observed_at == LATER] == [
        ("USD", "JPY", Decimal("154.52"))
    ]
    # Only the crosses with a JPY leg moved: seven of the 28.
    assert len(rows("koel")) == 28 + 7
    assert feed.stored == 1 + 7


def test_the_tick_refuses_to_run_over_the_politeness_budget(live_at, settings):
    settings.KOEL_LIVE_BUDGET_PER_MINUTE = 10  # 8 pairs every 30 s is 16 a minute
    with QueryReplayServer(yahoo_routes()) as yahoo:
        live_at(yahoo=yahoo)
        live_tick_run(interval_seconds=30)

    feed = LiveFeed.current()
    assert feed.state == "down"
    assert feed.reason.startswith("refused: 8 live pairs every 30 s")
    assert "KOEL_LIVE_BUDGET_PER_MINUTE" in feed.reason
    assert yahoo.requests == []
    assert ExchangeRate.objects.count() == 0


def test_the_tick_reads_its_interval_from_the_live_schedule(live_at, settings):
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    from monitor.schedule import LIVE_TASK_NAME

    every_5s, _ = IntervalSchedule.objects.get_or_create(every=5, period=IntervalSchedule.SECONDS)
    PeriodicTask.objects.filter(name=LIVE_TASK_NAME).update(interval=every_5s)  # not via admin
    with QueryReplayServer(yahoo_routes()) as yahoo:
        live_at(yahoo=yahoo)
        live_tick.delay()

    # 8 pairs every 5 s is 96 requests a minute: refused, logged, feed down.
    assert "8 live pairs every 5 s is 96 requests a minute" in LiveFeed.current().reason
    assert yahoo.requests == []
