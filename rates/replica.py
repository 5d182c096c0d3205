"""Reads of the rates from a streaming read replica, never older than the last committed write.

With DATABASE_REPLICA_URL set, settings.py adds a `replica` alias and this router. The rule:

* Only the rates' own data is read there (the models in REPLICA_MODELS, and the raw queries of
  rates.reads through rates.db.read_connection); sessions, users, runs, alerts stay on the
  primary, where a login or an admin edit is read back at once.
* Inside a transaction on the primary, and for the rest of a request or task once it has
  written anything, reads stay on the primary (read your own writes).
* Otherwise the replica is used only once it has replayed the WAL up to the last rates write:
  the write path records the primary's WAL position in Redis when it commits, before it bumps
  the cache versions (rates.cache), so a reader that sees the new versions also sees a position
  at least that new, and a lagging replica cannot have its answer cached under the new versions.
  The replica's replay position is asked for only when the recorded one is newer than the last
  seen (positions only grow).
* A replica that is down (or not a replica any more) is left alone for KOEL_REPLICA_RETRY_SECONDS
  and reads go to the primary meanwhile.

A request or task decides once (the first read) and then reads every row from the same server.
"""

import logging
import time
from contextvars import ContextVar

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections

logger = logging.getLogger(__name__)

REPLICA = "replica"
REPLICA_MODELS = {
    "rates.exchangerate",
    "rates.latestrates",
    "rates.currency",
    "rates.source",
    "rates.hourlybar",
    "rates.exchangeraterecord",
}
WRITTEN_KEY = "replica:written-lsn"

# Per request or task: None outside one (each read decides alone), else a dict holding
# "wrote" and the alias chosen by its first read.
_scope: ContextVar[dict | None] = ContextVar("koel_replica_scope", default=None)
_seen = {"replayed": -1, "down_until": 0.0}  # per process


def enabled() -> bool:
    return REPLICA in settings.DATABASES


def scope_begin(**_) -> None:
    """Connected to request_started and task_prerun: a new request or task decides afresh."""
    _scope.set({"wrote": False, "alias": None})


def scope_end(**_) -> None:
    _scope.set(None)


def lsn_number(lsn: str | None) -> int:
    """'16/B374D848' (PostgreSQL's pg_lsn text) as a comparable number; -1 for NULL."""
    if not lsn:
        return -1
    high, low = lsn.split("/")
    return (int(high, 16) << 32) | int(low, 16)


def mark_written() -> None:
    """Record the primary's WAL position after a committed write (rates.cache, on commit)."""
    if not enabled():
        return
    scope = _scope.get()
    if scope is not None:  # COPY and raw writes pass no router: pin the scope here too
        scope["wrote"] = True
    try:
        with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute("SELECT pg_current_wal_lsn()::text")
            position = lsn_number(cursor.fetchone()[0])
        # Never lower it: two writers' callbacks may finish in either order.
        client = cache.client.get_client(write=True)
        client.eval(_RAISE_SCRIPT, 1, cache.make_key(WRITTEN_KEY), position)
    except Exception:  # the versions are bumped all the same: the write itself has committed
        logger.exception("replica: could not record the WAL position of a committed write")


_RAISE_SCRIPT = """
local old = tonumber(redis.call('GET', KEYS[1]) or '-1')
if tonumber(ARGV[1]) > old then redis.call('SET', KEYS[1], ARGV[1]) end
return 1
"""


def read_alias() -> str:
    """The alias the rates are read from now (see the module's rule)."""
    if not enabled() or connections[DEFAULT_DB_ALIAS].in_atomic_block:
        return DEFAULT_DB_ALIAS
    scope = _scope.get()
    if scope is None:
        return _choose()
    if scope["wrote"]:
        return DEFAULT_DB_ALIAS
    if scope["alias"] is None:
        scope["alias"] = _choose()
    return scope["alias"]


def _choose() -> str:
    try:
        written = int(cache.client.get_client().get(cache.make_key(WRITTEN_KEY)) or -1)
    except Exception:  # Redis down: no way to know what the replica must have
        logger.warning("replica: Redis unreachable, reading from the primary")
        return DEFAULT_DB_ALIAS
    if time.monotonic() < _seen["down_until"]:
        return DEFAULT_DB_ALIAS
    if written <= _seen["replayed"]:
        return REPLICA
    replayed = _replayed()
    if replayed < 0:
        return DEFAULT_DB_ALIAS
    _seen["replayed"] = max(_seen["replayed"], replayed)
    return REPLICA if written <= replayed else DEFAULT_DB_ALIAS


def _replayed() -> int:
    """The replica's replay position, or -1 when it is down or not in recovery."""
    replica = connections[REPLICA]
    try:
        with replica.cursor() as cursor:
            cursor.execute("SELECT pg_last_wal_replay_lsn()::text")
            position = lsn_number(cursor.fetchone()[0])
    except DatabaseError as error:
        replica.close()
        position = -1
        logger.warning("replica unreachable (%s); reading from the primary", error)
    if position < 0:
        _seen["down_until"] = time.monotonic() + settings.KOEL_REPLICA_RETRY_SECONDS
    return position


class ReplicaRouter:
    """settings.DATABASE_ROUTERS: the rates' reads as read_alias() says; everything else, and
    every write and migration, on the primary."""

    def db_for_read(self, model, **hints) -> str | None:
        if model._meta.label_lower not in REPLICA_MODELS:
            return None
        return read_alias()

    def db_for_write(self, model, **hints) -> str | None:
        scope = _scope.get()
        if scope is not None:
            scope["wrote"] = True
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints) -> bool:
        return True  # one database, two copies of it

    def allow_migrate(self, db: str, app_label: str, **hints) -> bool:
        return db == DEFAULT_DB_ALIAS
