"""Publishing the stream's events, from the process whose transaction committed them.

One Lua script per commit appends every event to the replay log (a Redis Stream capped at
KOEL_STREAM_REPLAY_LENGTH entries, whose ids are the SSE event ids) and publishes each, id
included, on the stream's pub/sub channel: atomic, so subscribers see the ids in the log's order
and a reconnecting client's replay (XRANGE after its Last-Event-ID) meets the live events
exactly. One round trip, whatever the number of events.
"""

from collections.abc import Iterable

from django.conf import settings
from redis.connection import parse_url

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


def events_publish(events: Iterable[Event]) -> int:
    """Append `events` to the replay log and publish them; the number published."""
    fields = [field for event in events for field in event.fields()]
    if not fields:
        return 0
    cap = settings.KOEL_STREAM_REPLAY_LENGTH
    run(("EVAL", PUBLISH, 2, log_key(), channel_key(), cap, *fields))
    return len(fields) // 4
