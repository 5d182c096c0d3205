"""Publishing the stream's events, from the process whose transaction committed them.

One Lua script per chunk of a commit's events (CHUNK_EVENTS) appends each to the replay log (a
Redis Stream capped at KOEL_STREAM_REPLAY_LENGTH entries, whose ids are the SSE event ids) and
publishes it, id included, on the stream's pub/sub channel: atomic, so subscribers see the ids in
the log's order and a reconnecting client's replay (the events after its Last-Event-ID, from its
server's memory or the log: monitor.stream.hub) meets the live events exactly. One round trip
per chunk: a script holds Redis, and every read waiting on it, for its whole run, and a full
scrape is tens of thousands of events.

When Redis cannot be reached (restarted, failed over), the events of a write that has committed
are held in the process, in order, and published by a thread of its own once Redis answers
again: a subscriber then still receives every committed rate, only later (measured by
reliability/run_load.py). At most KOEL_STREAM_REPLAY_LENGTH events are held, as many as the log
keeps: older ones would have left the log by then anyway.
"""

import logging
import threading
import time
from collections import deque
from collections.abc import Iterable

from django.conf import settings
from redis.connection import parse_url
from redis.exceptions import RedisError

from monitor.stream.events import Event
from rates.cache import raw_key
from rates.redis_link import run

# KEYS: the log, the channel. ARGV: the log's cap, then 4 fields per event. Each published
# message is the id and the fields, separated by newlines (JSON data holds none: json.dumps
# escapes them).
PUBLISH = """
local cap = tonumber(ARGV[1])
for i = 2, #ARGV, 4 do
  local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', cap, '*',
    'kind', ARGV[i], 'pair', ARGV[i + 1], 'owner', ARGV[i + 2], 'data', ARGV[i + 3])
  redis.call('PUBLISH', KEYS[2], id .. '\\n' .. ARGV[i] .. '\\n' .. ARGV[i + 1] .. '\\n'
    .. ARGV[i + 2] .. '\\n' .. ARGV[i + 3])
end
return #ARGV
"""


def log_key() -> str:
    return raw_key("stream:log")


def channel_key() -> str:
    # Pub/sub channels are global to a Redis server, not per database as keys are: the
    # database's number keeps two Koels (or test runs) sharing a server apart.
    db = parse_url(settings.REDIS_URL).get("db", 0)
    return f"{raw_key('stream:events')}:db{db}"


logger = logging.getLogger(__name__)
RETRY_SECONDS = 1.0
CHUNK_EVENTS = 1000
_held: deque[list[str]] = deque()  # each commit's fields, oldest first, not yet published
_lock = threading.Lock()
_retrying = threading.Event()


def events_publish(events: Iterable[Event]) -> int:
    """Append `events` to the replay log and publish them, after any still held; the number
    handed over (published now, or held until Redis is back)."""
    fields = [field for event in events for field in event.fields()]
    if not fields:
        return 0
    with _lock:
        step = CHUNK_EVENTS * 4
        _held.extend(fields[start : start + step] for start in range(0, len(fields), step))
        _trim_held()
        if not _retrying.is_set() and not _flush():
            _retrying.set()
            threading.Thread(target=_retry, name="stream-publish-retry", daemon=True).start()
    return len(fields) // 4


def events_held() -> int:
    """The events this process holds, not yet published (Redis was down)."""
    with _lock:
        return sum(len(fields) for fields in _held) // 4


def _flush() -> bool:
    """Publish what is held, oldest first; False (and the rest kept) when Redis fails."""
    cap = settings.KOEL_STREAM_REPLAY_LENGTH
    while _held:
        try:
            run(("EVAL", PUBLISH, 2, log_key(), channel_key(), cap, *_held[0]))
        except (RedisError, OSError) as exc:
            logger.error("stream: events not published (%s); held until Redis is back", exc)
            return False
        _held.popleft()
    return True


def _trim_held() -> None:
    events = sum(len(fields) for fields in _held) // 4
    while len(_held) > 1 and events > settings.KOEL_STREAM_REPLAY_LENGTH:
        events -= len(_held.popleft()) // 4


def _retry() -> None:
    while True:
        time.sleep(RETRY_SECONDS)
        with _lock:
            if _flush():
                _retrying.clear()  # under the lock: no commit's events are left behind
                logger.warning("stream: Redis is back; held events published")
                return
