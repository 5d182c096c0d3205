"""The read path's Redis commands, on one connection per thread, in one round trip per call.

Through django-redis and redis-py's client, every command takes a connection from the pool and
gives it back through their retry and observability layers: on an uncached answer that was a
fifth of the request's CPU (the throttle's counter, the versions, the answer's entry; measured
with bench/api.py --profile). A server thread handles one request at a time, so it keeps a
connection of its own, made with the pool's settings (URL, password, timeouts), and sends each
call's commands together. Those calls go through the same circuit as django-redis's, so a dead
Redis costs one fast failure per call (rates.redis_outage): they connect through it.

Values are django-redis's: keys through `raw_key` (rates.cache), objects pickled as its default
serializer does, so `cache.get` reads what `put` wrote and the other way round.
"""

import pickle
import threading
from collections.abc import Sequence

from django.core.cache import caches
from redis.exceptions import ResponseError

from rates.redis_outage import circuit

_local = threading.local()


def run(*commands: Sequence) -> list:
    """Each command's reply, in order, from one round trip. An error reply raises
    redis.ResponseError; a broken connection raises and is made afresh by the next call, and
    while Redis is down every call raises RedisDown at once (rates.redis_outage)."""
    connection = held_connection()
    if not connection.is_connected:
        # Only connecting goes through the circuit: a connection killed under a live server
        # fails one call (below), and the next call connects again.
        circuit.call(connection.connect)
    replies, error = [], None
    try:
        connection.send_packed_command(connection.pack_commands(commands))
        for _ in commands:
            try:
                replies.append(connection.read_response())
            except ResponseError as exc:  # read whole: the next replies are still to be read
                error = error or exc
    except BaseException:
        # Replies left unread would answer the next call's commands: start over.
        connection.disconnect()
        raise
    if error is not None:
        raise error
    return replies


def get_object(key: str) -> object | None:
    """The object django-redis stored under this Redis key (`raw_key`), None when absent."""
    (value,) = run(("GET", key))
    return None if value is None else pickle.loads(value)  # noqa: S301 - our own entries


def put_object(key: str, value: object, seconds: int) -> None:
    """Store `value` as django-redis's `cache.set(…, timeout=seconds)` does."""
    run(("SET", key, pickle.dumps(value, pickle.DEFAULT_PROTOCOL), "EX", max(1, int(seconds))))


def held_connection():
    """The calling thread's own connection (made on first use, and again after a pool change)."""
    pool = caches["default"].client.get_client(write=True).connection_pool
    held = getattr(_local, "held", None)
    if held is None or held[0] is not pool:
        held = (pool, pool.connection_class(**pool.connection_kwargs))
        _local.held = held
    return held[1]
