"""What a reconnecting client is replayed (monitor.stream.hub.Hub.missed): from the hub's per-pair
index of recent events (monitor.stream.recent), read back from the log when it resumes from
before the index, or read from the log in chunks when the index has no room. Against the test
Redis: events published as a write publishes them, a hub listening on the channel."""

import asyncio
import json
import time

import pytest
import redis

from monitor.stream import hub as hub_module
from monitor.stream.events import EVERYONE, FIRING, RATE, Event, id_order, landed
from monitor.stream.hub import Hub, Subscriber
from monitor.stream.publish import events_publish, log_key
from monitor.stream.recent import Recent, preceding


@pytest.fixture(autouse=True)
def empty_log(settings):
    client = redis.Redis.from_url(settings.REDIS_URL)
    client.delete(log_key())
    yield client
    client.delete(log_key())


def publish(*pairs: str, kind: str = RATE, owner: int = EVERYONE) -> None:
    events_publish(
        Event(kind, pair, owner, json.dumps({"pair": pair, "n": n})) for n, pair in enumerate(pairs)
    )


def logged(client, *pairs: str) -> list[tuple[int, int]]:
    """The ids of `pairs`' events in the log, oldest first."""
    return [
        id_order(entry_id.decode())
        for entry_id, fields in client.xrange(log_key())
        if fields[b"pair"].decode() in pairs
    ]


def run(scenario) -> None:
    """`scenario(hub)` in an event loop, with a hub listening (as a stream server's)."""

    async def main() -> None:
        hub = Hub()
        await hub.join(Subscriber(frozenset(), None))
        try:
            await scenario(hub)
        finally:
            hub.close()
            await asyncio.gather(hub.task, return_exceptions=True)
            await hub.redis.aclose()

    asyncio.run(main())


async def published(hub: Hub, *pairs: str, **kwargs) -> None:
    """Publish, then wait until the hub has dispatched the newest logged event."""
    await asyncio.to_thread(publish, *pairs, **kwargs)
    newest = await hub_module.newest(hub.redis)
    deadline = time.monotonic() + 5
    while hub.last != newest and time.monotonic() < deadline:
        await asyncio.sleep(0.01)


async def replayed(hub: Hub, pairs, after, owner=None) -> list[tuple[int, int]]:
    subscriber = Subscriber(frozenset(pairs), owner)
    return [order async for batch in hub.missed(subscriber, after) for order, _ in batch]


def test_a_reconnect_is_replayed_only_its_pairs_in_order_once(empty_log):
    got = {}

    async def scenario(hub: Hub) -> None:
        start = hub.last
        await published(hub, "EUR/USD", "EUR/GBP", "USD/JPY", "EUR/USD", "USD/JPY", "EUR/GBP")
        got["owed"] = logged(empty_log, "EUR/USD", "USD/JPY")
        empty_log.delete(log_key())  # what is replayed now can only come from the hub's memory
        got["sent"] = await replayed(hub, {"EUR/USD", "USD/JPY"}, start)
        got["since_second"] = await replayed(hub, {"EUR/USD", "USD/JPY"}, got["owed"][1])

    run(scenario)

    assert len(got["owed"]) == 4
    assert got["sent"] == got["owed"]
    assert got["since_second"] == got["owed"][2:]


def test_a_firing_is_replayed_only_to_its_owner(empty_log):
    got = {}

    async def scenario(hub: Hub) -> None:
        start = hub.last
        await published(hub, "EUR/USD", kind=FIRING, owner=7)
        await published(hub, "EUR/USD", kind=FIRING, owner=8)
        await published(hub, "EUR/USD")
        got["owner_7"] = await replayed(hub, set(), start, owner=7)
        got["rates"] = await replayed(hub, {"EUR/USD"}, start)

    run(scenario)

    firing_7, _, rate = logged(empty_log, "EUR/USD")
    assert got["owner_7"] == [firing_7]
    assert got["rates"] == [rate]


def test_a_reconnect_from_before_the_index_is_read_back_from_the_log(empty_log, monkeypatch):
    monkeypatch.setattr(hub_module, "LOG_CHUNK", 2)  # several reads back
    got = {}

    async def scenario(hub: Hub) -> None:
        start = hub.last
        await published(hub, *["EUR/USD", "EUR/GBP"] * 4)
        got["owed"] = {pair: logged(empty_log, pair) for pair in ("EUR/USD", "EUR/GBP")}
        hub.recent = Recent()  # as a server started after the client left: nothing held
        hub.recent.start(hub.last)
        got["sent"] = await replayed(hub, {"EUR/USD"}, start)
        got["reaches"] = hub.recent.reaches(start)
        empty_log.delete(log_key())  # the next replay can only come from the index
        got["again"] = await replayed(hub, {"EUR/GBP"}, start)

    run(scenario)

    assert got["sent"] == got["owed"]["EUR/USD"]
    assert got["reaches"]  # read back once, for every later reconnect
    assert got["again"] == got["owed"]["EUR/GBP"]


def test_without_room_the_log_is_read_in_chunks_up_to_the_index(empty_log, monkeypatch):
    monkeypatch.setattr(hub_module, "LOG_CHUNK", 2)
    got = {}

    async def scenario(hub: Hub) -> None:
        start = hub.last
        hub.recent.limit = 3  # most events let go, and no room to read them back
        await published(hub, *["EUR/USD", "EUR/GBP", "USD/JPY"] * 3)
        got["floor"] = hub.recent.floor
        got["sent"] = await replayed(hub, {"EUR/USD", "USD/JPY"}, start)

    run(scenario)

    owed = logged(empty_log, "EUR/USD", "USD/JPY")
    assert got["floor"] > owed[0]  # the first ones are no longer held
    assert got["sent"] == owed


def test_a_last_event_id_older_than_the_log_gets_what_the_log_holds(empty_log):
    got = {}

    async def scenario(hub: Hub) -> None:
        await published(hub, *["EUR/USD", "EUR/GBP"] * 3)
        empty_log.xtrim(log_key(), maxlen=3, approximate=False)  # the oldest 3 trimmed away
        hub.recent = Recent()
        hub.recent.start(hub.last)
        got["sent"] = await replayed(hub, {"EUR/USD"}, (1, 0))

    run(scenario)

    assert got["sent"] == logged(empty_log, "EUR/USD")
    assert len(got["sent"]) == 1  # of its 3, one is still logged


def test_the_hub_catches_up_from_the_log_in_chunks(empty_log, monkeypatch):
    monkeypatch.setattr(hub_module, "LOG_CHUNK", 2)
    got = {}

    async def scenario(hub: Hub) -> None:
        start = hub.last
        await published(hub, *["EUR/USD", "EUR/GBP"] * 3)
        watcher = Subscriber(frozenset({"EUR/USD"}), None)
        await hub.join(watcher)
        hub.last = start  # as if these had been published while it was not subscribed
        await hub.catch_up()
        got["delivered"] = [item.order for item in watcher.take()]

    run(scenario)

    assert got["delivered"] == logged(empty_log, "EUR/USD")


def item(ms: int, pair: str = "EUR/USD"):
    return landed(f"{ms}-0", RATE, pair, "0", "{}")


def test_the_index_lets_its_oldest_go_and_raises_its_floor():
    recent = Recent(limit=2)
    recent.start((1, 0))
    for ms in (2, 3, 4):
        recent.add(item(ms, "EUR/USD" if ms != 3 else "EUR/GBP"))

    assert recent.floor == (2, 0)
    assert not recent.reaches((1, 0))
    assert [order for order, _ in recent.since((2, 0), ["EUR/USD", "EUR/GBP"])] == [(3, 0), (4, 0)]


def test_a_read_back_is_not_held_once_the_floor_has_moved():
    recent = Recent(limit=2)
    recent.start((5, 0))
    recent.add(item(6))
    recent.add(item(7))
    recent.add(item(8))  # lets (6, 0) go: the floor moves to it

    assert not recent.prepend([item(5)], (5, 0), None)
    assert recent.floor == (6, 0)


def test_a_read_back_lowers_the_floor_to_just_before_its_oldest():
    recent = Recent(limit=10)
    recent.start((5, 0))
    recent.add(item(6))

    assert recent.prepend([item(5), item(4)], (5, 0), None)
    assert recent.floor == preceding((4, 0)) == (3, 2**64 - 1)
    assert [order for order, _ in recent.since((0, 0), ["EUR/USD"])] == [(4, 0), (5, 0), (6, 0)]
