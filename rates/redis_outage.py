"""Redis down: one fast failure, one log line, and recovery by itself.

Koel keeps nothing in Redis that the database does not hold: the cache, the replayed answers and
the anonymous throttle's counters. Without Redis, reads answer from the database
(rates.http.caching), the replay lets Django answer (rates.http.replay) and the throttle lets
requests through (rates.api.auth): a missing limit for a while is better than no service.

So that a dead Redis costs a request one fast failure rather than a connect timeout, and the log
one line per outage rather than one per request, every Redis connection is made through one
circuit per process: after a connection failure it is open for KOEL_REDIS_RETRY_SECONDS, and
connections fail at once with RedisDown; then one caller tries again, and success closes it (and
logs that Redis is back). django-redis's own calls ignore the failure (IGNORE_EXCEPTIONS) and log
it through `FirstFailureOnly`, which drops the RedisDown repeats.

A write whose cache versions could not be bumped while Redis was down (rates.cache) would leave
answers cached before it valid once Redis returns with its data: a process whose circuit closes
runs the `on_recovery` hooks before anything else, and rates.cache's drops every cached answer.
A server that restarted is found on the first use of each connection made to it, in any process,
outage seen or not: every connection runs the `on_connect` hooks before its first command, and
rates.cache's compares the server's run id with the one the caches were checked for.
"""

import logging
import threading
import time
from collections.abc import Callable

import redis
from django.conf import settings
from redis.connection import ConnectionPool

logger = logging.getLogger(__name__)

# What a Redis server that is gone or unreachable raises (a closed socket raises OSError).
FAILURES = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError)


class RedisDown(redis.exceptions.ConnectionError):
    """Redis failed lately: it is not asked again before the circuit's retry time."""


class Circuit:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.open_until: float | None = None  # None: closed, Redis is used
        self.probing = False  # a caller is finding out whether Redis is back
        self.lock = threading.Lock()
        self.local = threading.local()  # .probing: this thread is that caller
        self.hooks: list[Callable[[], None]] = []

    @property
    def is_open(self) -> bool:
        return self.open_until is not None

    def call(self, function: Callable, *args, **kwargs):
        """`function(*args, **kwargs)` when Redis may be asked; RedisDown at once when not."""
        if getattr(self.local, "probing", False):
            return function(*args, **kwargs)  # within a probe (its hooks): the probe decides
        probe = self._admit()
        failed = False
        try:
            if probe:
                self.local.probing = True
                self._recover()
            return function(*args, **kwargs)
        except FAILURES as exc:
            failed = True
            self._failed(exc)
            raise
        finally:
            self.local.probing = False
            if not failed:  # an answer, even an error reply, means Redis is up
                self._succeeded()

    def _admit(self) -> bool:
        """Whether this caller is the probe; RedisDown while the circuit is open."""
        if self.open_until is None:
            return False
        with self.lock:
            if self.open_until is None:
                return False
            if self.probing or self.clock() < self.open_until:
                raise RedisDown("Redis is unavailable (retried periodically)")
            self.probing = True
            return True

    def _recover(self) -> None:
        # Before the probe's own call: a read must not see an answer cached before a write that
        # could not invalidate it. A hook that finds Redis still down fails the probe.
        for hook in self.hooks:
            try:
                hook()
            except FAILURES:
                raise
            except Exception:
                logger.exception("a Redis recovery hook failed")

    def _failed(self, exc: BaseException) -> None:
        with self.lock:
            first = self.open_until is None
            self.open_until = self.clock() + settings.KOEL_REDIS_RETRY_SECONDS
            self.probing = False
        if first:
            logger.error(
                "Redis is unavailable (%s): answering from the database, anonymous throttle "
                "off, retrying every %ss",
                exc,
                settings.KOEL_REDIS_RETRY_SECONDS,
            )

    def _succeeded(self) -> None:
        if self.open_until is None:
            return
        with self.lock:
            if self.open_until is None:
                return
            self.open_until, self.probing = None, False
        logger.warning("Redis is back: caching and throttling again")

    def reset(self) -> None:
        """Closed, as at start (tests)."""
        with self.lock:
            self.open_until, self.probing = None, False


circuit = Circuit()


def on_recovery(hook: Callable[[], None]) -> None:
    """Run `hook` whenever this process finds Redis back after an outage."""
    circuit.hooks.append(hook)


_connect_hooks: list[Callable] = []


def on_connect(hook: Callable) -> None:
    """Run `hook(connection)` on every new connection of the guarded pool (and of the threads'
    own connections, rates.redis_link, made with its settings), before its first command."""
    _connect_hooks.append(hook)


def _connected(connection) -> None:
    connection.on_connect()  # the handshake redis-py runs when no connect function is given
    for hook in _connect_hooks:
        hook(connection)


class GuardedConnectionPool(ConnectionPool):
    """django-redis's pool (OPTIONS CONNECTION_POOL_CLASS): connections go through `circuit`,
    and each new one through the `on_connect` hooks."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("redis_connect_func", _connected)
        super().__init__(*args, **kwargs)

    def get_connection(self, *args, **kwargs):
        return circuit.call(super().get_connection, *args, **kwargs)


class FirstFailureOnly(logging.Filter):
    """Drops django-redis's log records of RedisDown: the circuit logged the outage once."""

    def filter(self, record: logging.LogRecord) -> bool:
        # django-redis raises its ConnectionInterrupted from the client's error.
        error = record.exc_info[1] if record.exc_info else None
        cause = getattr(error, "__cause__", None)
        return not (isinstance(error, RedisDown) or isinstance(cause, RedisDown))
