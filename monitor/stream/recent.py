"""The hub's memory of the events it dispatched last, by pair (and by user, for firings), so that
a client reconnecting with Last-Event-ID is replayed its own few events without the replay log.

The log, read after a Last-Event-ID, returns every pair's events since (a full scrape is
thousands), each decoded and filtered on the server's one event loop: profiled, 90 clients
reconnecting two scrapes of 1,560 pairs behind held the loop for 9.5 s, 34 µs an entry, and 250
of them ran the Redis pool out of connections (docs/reliability.md, section 4). From here a
reconnect costs only the events it is sent.

It holds the last `limit` events of every pair, in order. `floor` is the newest event it does
not hold (one it let go, or the newest logged when the hub started listening): every event after
`floor` is here. A client resuming from before it makes the hub read the log back to its
Last-Event-ID into the front of the index, once for a crowd of reconnects (they resume from about
the same point); past `limit`, each is read the log up to `floor` (Hub.missed).
"""

from collections import deque
from collections.abc import Iterable

from monitor.stream.events import FIRING, Landed

# A full scrape of every pair is 24,180 events: two of them, about 25 MB of the process's memory
# (measured with tracemalloc, 490 bytes an event across 24,180 pairs; docs/monitor.md, "Resuming").
INDEX_EVENTS = 50_000

Held = tuple[tuple[int, int], bytes]  # an event's id (as numbers) and its SSE frame


def item_key(item: Landed) -> str:
    event = item.event
    return f"user:{event.owner}" if event.kind == FIRING else event.pair


def subscriber_keys(pairs: Iterable[str], owner: int | None) -> tuple[str, ...]:
    """The keys of the events a subscriber of `pairs` (and of `owner`'s firings) is sent."""
    return (*pairs, *(() if owner is None else (f"user:{owner}",)))


def preceding(order: tuple[int, int]) -> tuple[int, int]:
    """The newest stream id there can be before `order` (ids are <ms>-<seq>, seq 64 bits)."""
    ms, seq = order
    return (ms, seq - 1) if seq else (ms - 1, 2**64 - 1)


class Recent:
    def __init__(self, limit: int = INDEX_EVENTS) -> None:
        self.limit = limit
        self.floor: tuple[int, int] | None = None  # None: nothing held yet (not listening)
        # Lists, not deques: most keys hold one or two events, and an empty deque is 600 bytes
        # (24,180 pairs: 15 MB); letting the oldest go moves a key's few pointers.
        self.by_key: dict[str, list[Held]] = {}
        self.keys: deque[str] = deque()  # each held event's key, oldest first

    def start(self, floor: tuple[int, int]) -> None:
        """The hub listens from `floor` on (the newest event logged when it subscribed)."""
        self.floor = floor if self.floor is None else max(self.floor, floor)

    def add(self, item: Landed) -> None:
        """Hold `item` (dispatched in order: each newer than the last), the oldest let go."""
        key = item_key(item)
        # Only the id and the frame: the frame is what a replay sends, and half the memory.
        self.by_key.setdefault(key, []).append((item.order, item.frame))
        self.keys.append(key)
        if len(self.keys) > self.limit:
            self.evict()

    def evict(self) -> None:
        key = self.keys.popleft()
        held = self.by_key[key]
        order, _ = held.pop(0)
        if not held:
            del self.by_key[key]
        self.floor = order if self.floor is None else max(self.floor, order)

    def prepend(
        self, entries: list[Landed], below: tuple[int, int], reached: tuple[int, int] | None
    ) -> bool:
        """Hold `entries` (newest first): the logged events just before `below`, the floor when
        they were read. `reached`: the point the read went back to, when the log held nothing
        older after it. False, nothing held, when the floor has moved since (events were let go
        meanwhile: these would not join up) or there is no room."""
        if self.floor != below or len(self.keys) + len(entries) > self.limit:
            return False
        fronts: dict[str, list[Held]] = {}
        for item in reversed(entries):
            fronts.setdefault(item_key(item), []).append((item.order, item.frame))
        self.keys.extendleft(item_key(item) for item in entries)
        for key, front in fronts.items():
            self.by_key[key] = front + self.by_key.get(key, [])
        self.floor = reached if reached is not None else preceding(entries[-1].order)
        return True

    def reaches(self, after: tuple[int, int]) -> bool:
        """Whether every event after `after` is held."""
        return self.floor is not None and after >= self.floor

    def since(self, after: tuple[int, int], keys: Iterable[str]) -> list[Held]:
        """The held events of `keys` after `after`, oldest first, as (id, frame)."""
        found = []
        for key in keys:
            for entry in reversed(self.by_key.get(key, ())):
                if entry[0] <= after:
                    break
                found.append(entry)
        found.sort()
        return found
