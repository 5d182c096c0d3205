"""A rate committed while Redis is down still reaches the stream: its events are held in the
process and published once Redis answers again, in order (found by reliability/run_load.py: the
events of a write committed during a Redis restart were lost, and subscribers kept the old
rate). Runs against a redis-server of the test's own, stopped and started again."""

import time

import pytest
import redis

from monitor.stream import publish
from monitor.stream.events import RATE, Event
from reliability.load import RedisServer


@pytest.fixture
def own_redis(settings, tmp_path):
    server = RedisServer(tmp_path)
    server.start()
    before = settings.CACHES, settings.REDIS_URL
    settings.CACHES = {**settings.CACHES, "default": {**settings.CACHES["default"],
                                                      "LOCATION": server.url}}  # fmt: skip
    settings.REDIS_URL = server.url
    yield server
    deadline = time.monotonic() + 10
    while publish._retrying.is_set() and time.monotonic() < deadline:
        time.sleep(0.1)  # the retry thread reads these settings
    settings.CACHES, settings.REDIS_URL = before
    server.stop()


def logged(server: RedisServer) -> list[str]:
    entries = redis.Redis.from_url(server.url).xrange(publish.log_key())
    return [fields[b"data"].decode() for _, fields in entries]


def rate(n: int) -> Event:
    return Event(RATE, "EUR/USD", 0, f'{{"n":{n}}}')


def test_events_published_while_redis_is_down_are_logged_once_it_is_back(own_redis):
    publish.events_publish([rate(1)])
    own_redis.stop()

    assert publish.events_publish([rate(2), rate(3)]) == 2  # held, not raised into the write
    assert publish.events_publish([rate(4)]) == 1
    own_redis.start()
    deadline = time.monotonic() + 10
    while len(logged(own_redis)) < 4 and time.monotonic() < deadline:
        time.sleep(0.1)

    assert logged(own_redis) == ['{"n":1}', '{"n":2}', '{"n":3}', '{"n":4}']
    publish.events_publish([rate(5)])
    assert logged(own_redis)[-1] == '{"n":5}'  # and straight through again


def test_at_most_the_logs_length_is_held(own_redis, settings):
    settings.KOEL_STREAM_REPLAY_LENGTH = 3
    own_redis.stop()
    for n in range(5):
        publish.events_publish([rate(n)])
    own_redis.start()
    deadline = time.monotonic() + 10
    while publish._retrying.is_set() and time.monotonic() < deadline:
        time.sleep(0.1)

    assert logged(own_redis) == ['{"n":2}', '{"n":3}', '{"n":4}']


def test_a_write_committed_while_redis_is_down_is_still_announced(
    own_redis, store, django_capture_on_commit_callbacks
):
    """The cache bump fails first; the write must not raise, and the stream still gets it."""
    from datetime import UTC, datetime
    from decimal import Decimal

    from rates.ingest.services import rates_upsert
    from rates.signals import rates_landed
    from rates.types import RateRow

    announced = []

    def heard(sender, *, changes, **kwargs) -> None:
        announced.extend(changes)

    rates_landed.connect(heard)
    own_redis.stop()
    try:
        with django_capture_on_commit_callbacks(execute=True):
            row = RateRow("EUR", "USD", Decimal("1.0842"), datetime(2026, 12, 7, 9, tzinfo=UTC))
            rates_upsert(source="yahoo", rows=[row])
    finally:
        rates_landed.disconnect(heard)
        own_redis.start()

    assert announced == [("EUR", "USD")]


def test_a_full_scrapes_events_are_published_in_chunks_in_order(own_redis):
    count = publish.CHUNK_EVENTS * 2 + 500

    assert publish.events_publish(rate(n) for n in range(count)) == count
    assert logged(own_redis) == [f'{{"n":{n}}}' for n in range(count)]
