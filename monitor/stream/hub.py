"""One Redis subscription per server process, fanned out to every open stream.

Each stream is a `Subscriber`: the pairs it chose, the user whose firings it may see, and the
frames waiting to be sent. The hub's one task reads the pub/sub channel and hands each event to
the subscribers that want it (indexed by pair and by user, so an event costs only its own
subscribers); a subscriber holds no thread and no connection of its own, only its queue.

A subscriber that falls `KOEL_STREAM_QUEUE` events behind (a client that stopped reading) is
ended: its client reconnects with Last-Event-ID and catches up from the replay log, rather than
the server holding an unbounded backlog for it. When the subscription breaks (Redis restarted),
the hub subscribes again and reads what it missed from the replay log, so live streams lose
nothing either.

What a reconnecting client missed comes from the hub's memory of recent events, by pair
(monitor.stream.recent), and from the log only when it resumes from before that memory: read in
chunks, a few subscribers at a time, so that neither the event loop nor Redis's connection pool
is held by a crowd of reconnects.
"""

import asyncio
import logging
import signal
import threading
from collections import defaultdict, deque
from collections.abc import AsyncIterator

import redis.asyncio as aioredis
from django.conf import settings
from redis.exceptions import RedisError

from monitor.stream.events import FIRING, Landed, id_order, landed
from monitor.stream.publish import channel_key, log_key
from monitor.stream.recent import Held, Recent, subscriber_keys

logger = logging.getLogger(__name__)
RESUBSCRIBE_SECONDS = 1.0
# Log entries per read: decoding one costs about 34 µs of the event loop, so a chunk is ~17 ms.
LOG_CHUNK = 500
# Subscribers reading the log at once: redis-py's asyncio pool raises (not waits) past its 100
# connections, and each reader holds one for its whole read.
LOG_READERS = 4


class Subscriber:
    def __init__(self, pairs: frozenset[str], owner: int | None) -> None:
        self.pairs, self.owner = pairs, owner
        self.keys = subscriber_keys(pairs, owner)
        self.pending: deque[Landed] = deque()
        self.ready = asyncio.Event()
        self.ended = False  # the server is shutting down, or the client fell too far behind

    def wants(self, item: Landed) -> bool:
        event = item.event
        if event.kind == FIRING:
            return self.owner is not None and event.owner == self.owner
        return event.pair in self.pairs

    def deliver(self, item: Landed) -> None:
        if len(self.pending) >= settings.KOEL_STREAM_QUEUE:
            self.end()
            return
        self.pending.append(item)
        self.ready.set()

    def end(self) -> None:
        self.ended = True
        self.ready.set()

    def take(self) -> list[Landed]:
        taken = list(self.pending)
        self.pending.clear()
        self.ready.clear()
        return taken


class Hub:
    def __init__(self) -> None:
        self.by_pair: dict[str, set[Subscriber]] = defaultdict(set)
        self.by_owner: dict[int, set[Subscriber]] = defaultdict(set)
        self.closing = False
        self.last: tuple[int, int] | None = None  # the newest event dispatched
        self.redis = aioredis.Redis.from_url(settings.REDIS_URL)
        self.task: asyncio.Task | None = None
        self.subscribed = asyncio.Event()
        self.recent = Recent()
        self.log_readers = asyncio.Semaphore(LOG_READERS)
        self.backfilling = asyncio.Lock()

    async def join(self, subscriber: Subscriber) -> None:
        """Register `subscriber`; returns once the hub's subscription is live, so nothing
        published from now on can pass it by."""
        if self.closing:
            subscriber.end()
            return
        for pair in subscriber.pairs:
            self.by_pair[pair].add(subscriber)
        if subscriber.owner is not None:
            self.by_owner[subscriber.owner].add(subscriber)
        if self.task is None:
            signals_hook()
            self.task = asyncio.get_running_loop().create_task(self.listen())
        await self.subscribed.wait()

    def leave(self, subscriber: Subscriber) -> None:
        for pair in subscriber.pairs:
            self.by_pair[pair].discard(subscriber)
        if subscriber.owner is not None:
            self.by_owner[subscriber.owner].discard(subscriber)

    def close(self) -> None:
        """End every stream (the server is shutting down) and stop listening."""
        self.closing = True
        for subscriber in {s for group in self.by_pair.values() for s in group}:
            subscriber.end()
        for group in self.by_owner.values():
            for subscriber in group:
                subscriber.end()
        if self.task is not None:
            self.task.cancel()

    def dispatch(self, item: Landed) -> None:
        if self.last is not None and item.order <= self.last:
            return  # already dispatched (read again from the log after a resubscription)
        self.last = item.order
        self.recent.add(item)
        event = item.event
        if event.kind == FIRING:
            wanting = self.by_owner.get(event.owner, ())
        else:
            wanting = self.by_pair.get(event.pair, ())
        for subscriber in list(wanting):
            subscriber.deliver(item)

    async def listen(self) -> None:
        while not self.closing:
            try:
                await self.subscription()
            except (RedisError, OSError) as exc:
                self.subscribed.clear()
                logger.warning("stream: Redis subscription lost (%s); subscribing again", exc)
                await asyncio.sleep(RESUBSCRIBE_SECONDS)

    async def subscription(self) -> None:
        async with self.redis.pubsub(ignore_subscribe_messages=True) as pubsub:
            await pubsub.subscribe(channel_key())
            if self.last is None:  # from here on, nothing published is missed
                self.last = await newest(self.redis)
                self.recent.start(self.last)
            else:
                await self.catch_up()
            self.subscribed.set()
            async for message in pubsub.listen():
                event_id, *fields = message["data"].decode().split("\n", 4)
                self.dispatch(landed(event_id, *fields))

    async def catch_up(self) -> None:
        """Dispatch what was published while unsubscribed (its messages are lost), from the log
        in chunks; those published meanwhile come again on the channel and are skipped."""
        while chunk := await log_read(self.redis, self.last, None):
            for item in chunk:
                self.dispatch(item)

    async def missed(
        self, subscriber: Subscriber, after: tuple[int, int]
    ) -> AsyncIterator[list[Held]]:
        """What `subscriber` would have been sent after `after`, oldest first, as batches of
        (id, frame): from the recent events held, reaching back to `after` if need be, else
        from the log up to where they begin, then from them."""
        if not self.recent.reaches(after):
            async with self.backfilling:
                await self.backfill(after)
        while not self.recent.reaches(after):
            upto = self.recent.floor
            async with self.log_readers:
                chunk = await log_read(self.redis, after, upto)
            if chunk:
                after = chunk[-1].order
                yield [(item.order, item.frame) for item in chunk if subscriber.wants(item)]
            elif upto is None:
                return  # not listening (shutting down): nothing is held, the log is read out
            else:
                after = upto  # the log holds nothing more before the recent events
        yield self.recent.since(after, subscriber.keys)

    async def backfill(self, after: tuple[int, int]) -> None:
        """Read the log back from where the recent events begin to `after`, into them, while
        there is room and nothing is let go meanwhile."""
        while not self.recent.reaches(after) and (below := self.recent.floor) is not None:
            chunk = await log_read_back(self.redis, after, below)
            reached = after if len(chunk) < LOG_CHUNK else None
            if not self.recent.prepend(chunk, below, reached):
                return


async def newest(redis: aioredis.Redis) -> tuple[int, int]:
    """The id of the newest logged event ((0, 0) for an empty log)."""
    entries = await redis.xrevrange(log_key(), count=1)
    return id_order(entries[0][0].decode()) if entries else (0, 0)


async def log_read(
    redis: aioredis.Redis, after: tuple[int, int], upto: tuple[int, int] | None
) -> list[Landed]:
    """The first LOG_CHUNK logged events after `after` (exclusive) up to `upto` (inclusive; None:
    the newest), oldest first. The log keeps the last KOEL_STREAM_REPLAY_LENGTH (about: Redis
    trims whole nodes)."""
    start = f"({after[0]}-{after[1]}"
    end = "+" if upto is None else f"{upto[0]}-{upto[1]}"
    entries = await redis.xrange(log_key(), min=start, max=end, count=LOG_CHUNK)
    return [decoded(entry_id, fields) for entry_id, fields in entries]


async def log_read_back(
    redis: aioredis.Redis, after: tuple[int, int], upto: tuple[int, int]
) -> list[Landed]:
    """The last LOG_CHUNK logged events after `after` (exclusive) up to `upto` (inclusive),
    newest first."""
    start, end = f"({after[0]}-{after[1]}", f"{upto[0]}-{upto[1]}"
    entries = await redis.xrevrange(log_key(), max=end, min=start, count=LOG_CHUNK)
    return [decoded(entry_id, fields) for entry_id, fields in entries]


def decoded(entry_id: bytes, fields: dict[bytes, bytes]) -> Landed:
    return landed(
        entry_id.decode(), *(fields[key].decode() for key in (b"kind", b"pair", b"owner", b"data"))
    )


_hubs: dict[asyncio.AbstractEventLoop, Hub] = {}


def current_hub() -> Hub:
    """The running event loop's hub (one per server process: granian runs one loop per
    worker; tests may run several loops in turn)."""
    loop = asyncio.get_running_loop()
    hub = _hubs.get(loop)
    if hub is None:
        for stale in [other for other in _hubs if other.is_closed()]:
            del _hubs[stale]
        hub = _hubs[loop] = Hub()
    return hub


def hubs_close() -> None:
    """End every stream of this process (SIGTERM, or the ASGI lifespan's shutdown)."""
    for loop, hub in list(_hubs.items()):
        if not loop.is_closed():
            loop.call_soon_threadsafe(hub.close)


_hooked = False


def signals_hook() -> None:
    """End every stream when the process is told to stop (SIGTERM, SIGINT), before the server
    waits for open requests to finish (granian does, and a stream never would). The server's
    own handlers run too: asyncio's are woken through the signal's wakeup fd, whatever Python
    handler is installed, and any other is chained."""
    global _hooked
    if _hooked or threading.current_thread() is not threading.main_thread():
        return
    _hooked = True
    for signum in (signal.SIGTERM, signal.SIGINT):
        previous = signal.getsignal(signum)

        def stopping(number, frame, previous=previous) -> None:
            hubs_close()
            if callable(previous):
                previous(number, frame)

        signal.signal(signum, stopping)
