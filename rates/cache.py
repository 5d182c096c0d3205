"""Versioned cache keys for rate reads.

Every read answer depends on the stored rows of a few bases (the pair's two currencies and the
pivots). Each base has a version number in the cache; a write bumps the versions of the bases it
touched once its transaction commits, and read keys embed the versions they depend on, so an
answer cached before a write is never served after it (its key is simply not asked for again).

Currencies and sources shape every answer (active targets, minor units, refresh windows, which
sources count), so an edit of either bumps one *catalog* version that every key includes.

Beside the versions, every write also replaces one *generation* token: the replayed
responses of rates.http.replay, which are checked before anything is parsed, depend on it alone.
It is a random token rather than a counter so that a key evicted and re-created can never repeat an
old value and revive answers stored under it.

Processes also keep the catalog itself in memory (rates.reads.catalog): `catalog_token` says which
catalog that is. It is random for the same reason, and also changes at once, in the editing process,
when an edit is made (before its transaction commits), so a process always sees its own edits.

A rate write marks its bases' versions *in flight* as its last step before COMMIT, and settles
them (fresh numbers, a new generation) once it has committed (rates.cache_marks). Without the
mark, a reader between the COMMIT and the new versions was given the answer cached before the
write. With it, a reader that sees a base in flight builds its answer from the database and keeps
none of it (neither the answer nor a replayed entry): whatever it read before the COMMIT cannot be
served after. An answer kept under the old versions is never asked for again (they never come
back), and one kept under the new versions was read once they were set, after the COMMIT.

The catalog version and token are random, as the generation: a Redis server that lost its last
writes (restarted from its last save) must not hand out a value already used since
(`_check_server` drops every answer when a connection finds a server it has not checked).
"""

import itertools
import logging
import secrets
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from redis.exceptions import RedisError, ResponseError

from rates import cache_marks, replica
from rates.redis_link import run
from rates.redis_outage import on_connect, on_recovery

logger = logging.getLogger(__name__)

_PREFIX = "rates:version:"
CATALOG = "rates:catalog"
GENERATION = "rates:generation"
CATALOG_TOKEN = "rates:catalog:token"  # noqa: S105 - a cache key, not a secret
SERVER = "rates:server"  # the run id of the Redis server the cached answers were checked for

_pinned: ContextVar[str | None] = ContextVar("koel_catalog_token", default=None)
_local_edits = itertools.count(1)  # next() is atomic: edits made by this process's threads
_local_edit = 0


@dataclass(frozen=True)
class Snapshot:
    """The versions an answer is built under, read in one round trip."""

    versions: str  # a cache-key fragment, e.g. 'EUR3.USD7.c2'
    generation: str  # '' until the first write
    catalog_token: str  # the catalog the catalog version names (see `catalog_pinned`)
    writing: bool = False  # a write of one of these bases is in flight: keep nothing built now


def _key(code: str) -> str:
    return f"{_PREFIX}{code}"


def raw_key(key: str) -> str:
    """The Redis key django-redis uses for `key` (prefix and version applied)."""
    return cache.client.make_key(key)


def snapshot(codes: Iterable[str]) -> Snapshot:
    """The current versions of these codes and the generation, atomically (one MGET)."""
    codes = sorted(set(codes))
    # A whole base's answer reads ~160 versions: their keys are the version prefix's, joined.
    prefix = raw_key(_PREFIX)
    keys = [f"{prefix}{code}" for code in codes]
    keys += map(raw_key, (CATALOG, GENERATION, CATALOG_TOKEN))
    ((*found, catalog, generation, token),) = run(("MGET", *keys))
    versions, writing = [], False
    now, bound = time.time(), settings.KOEL_CACHE_WRITE_SECONDS
    for code, value in zip(codes, found, strict=True):
        versions.append(f"{code}{value.decode() if value else 0}")
        if value and not writing and b":" in value:
            writing = cache_marks.in_flight(value, now, bound)
    versions.append(f"c{catalog.decode() if catalog else 0}")
    token = token.decode() if token is not None else _stored_token()
    return Snapshot(".".join(versions), (generation or b"").decode(), token, writing)


def versions_of(codes: Iterable[str]) -> str:
    """A fragment for a cache key: the current version of each code and of the catalog, e.g.
    'EUR3.USD7.c2'. While a write of one of them is in flight, a fragment never given before:
    what is kept under it is never found again."""
    found = snapshot(codes)
    return f"{found.versions}.w{secrets.token_hex(8)}" if found.writing else found.versions


def bump_on_commit(codes: Iterable[str]) -> None:
    """Invalidate every cached read that depends on these bases: marked in flight now (call it
    as the write's last step before its COMMIT), given fresh versions once the write commits.
    Wrap the transaction in `released_on_rollback` so that a rollback settles them at once."""
    codes = set(codes)
    connection = transaction.get_connection()
    if not connection.in_atomic_block or connection.atomic_blocks[0]._from_testcase:
        # Outside a transaction the write has committed: on_commit runs at once. A test case's
        # transaction never commits (its callbacks run only when the test captures them): a
        # mark would leave the bases in flight, uncached, for the rest of the test.
        # Robust: a failed bump (Redis down) must not skip the write's later on-commit work (its
        # announcement to the stream, its counters) nor raise into a write that has committed.
        transaction.on_commit(lambda: _bump(sorted(codes)), robust=True)
        return
    write = _this_write(connection)
    write.codes |= codes
    _mark(write)


@contextmanager
def released_on_rollback() -> Iterator[None]:
    """Around a write's transaction: when it rolls back, its marks are settled at once (else
    they would count until KOEL_CACHE_WRITE_SECONDS, or this thread's next write)."""
    try:
        yield
    except BaseException:
        write = getattr(_writes, "current", None)
        if write is not None and not _registered(transaction.get_connection(), write):
            _writes.current = None
            _settle(write, committed=False)
        raise


@dataclass
class _Write:
    """The bases one transaction of this thread marked, under one writer id."""

    writer: str
    codes: set[str] = field(default_factory=set)

    def committed(self) -> None:
        if getattr(_writes, "current", None) is self:
            _writes.current = None
        _settle(self, committed=True)


_writes = threading.local()  # .current: this thread's _Write, until it commits or rolls back


def _this_write(connection) -> _Write:
    write = getattr(_writes, "current", None)
    if write is not None and _registered(connection, write):
        return write  # a write earlier in the same transaction (an import's chunks)
    if write is not None:
        _settle(write, committed=False)  # rolled back by an enclosing block since
    write = _Write(secrets.token_hex(6))
    transaction.on_commit(write.committed, robust=True)
    _writes.current = write
    return write


def _registered(connection, write: _Write) -> bool:
    """Whether the write's callback is still owed: a rollback drops it from the list."""
    return any(func == write.committed for _, func, _ in connection.run_on_commit)


def _mark(write: _Write) -> None:
    # Every base the transaction wrote, again: the marks' clock starts at its last write.
    backend = cache.client
    keys = [backend.make_key(GENERATION), *(backend.make_key(_key(c)) for c in sorted(write.codes))]
    args = (write.writer, repr(time.time()), settings.KOEL_CACHE_WRITE_SECONDS, _token("w"))
    try:
        backend.get_client(write=True).register_script(cache_marks.MARK)(keys=keys, args=args)
    except RedisError as exc:
        # Redis down: nothing is cached meanwhile, and the settling drops what was (`_bump`).
        logger.warning("cache versions not marked before the commit: %s", exc)


def _settle(write: _Write, *, committed: bool) -> None:
    if committed:
        _bump(sorted(write.codes), writer=write.writer)
    else:
        with suppress(RedisError):  # unsettled, the marks stop counting after their bound
            _bump_now(sorted(write.codes), writer=write.writer)


def bump_catalog_on_commit() -> None:
    """Invalidate every cached read, once the write commits: currencies or sources changed.
    This process's in-memory catalog is dropped at once (see `catalog_token`)."""
    global _local_edit
    _local_edit = next(_local_edits)
    transaction.on_commit(lambda: _bump([], catalog=True))


def catalog_token() -> str:
    """Names the catalog (currencies, sources) as it is now: a process may keep what it read
    of it for as long as this stays the same. Inside `catalog_pinned`, the token given there;
    else one GET (the token is created when missing or evicted)."""
    pinned = _pinned.get()
    token = pinned if pinned is not None else _stored_token()
    return f"{token}.{_local_edit}"


@contextmanager
def catalog_pinned(token: str) -> Iterator[None]:
    """Within this block `catalog_token` is `token` (a Snapshot's): an answer built here reads
    the catalog that its key's catalog version names, and asks Redis no more for it."""
    reset = _pinned.set(token)
    try:
        yield
    finally:
        _pinned.reset(reset)


def _stored_token() -> str:
    backend = cache.client
    key = backend.make_key(CATALOG_TOKEN)
    fresh = secrets.token_hex(8)
    try:
        client = backend.get_client(write=True)
        token = client.get(key)
        if token is None:
            token = fresh if client.set(key, fresh, nx=True) else client.get(key) or fresh
    except RedisError:
        token = fresh  # unknown without Redis: a token never seen, so the catalog is read
    return token.decode() if isinstance(token, bytes) else token


def _bump(codes: list[str], *, catalog: bool = False, writer: str = "") -> None:
    try:
        # Before the versions: whoever sees them new must not read a replica behind this write.
        replica.mark_written()
        _bump_now(codes, catalog=catalog, writer=writer)
    except RedisError as exc:
        # The write has committed: the answers cached before it must go once Redis is back.
        # This process retries until then, and every process that saw the outage drops them
        # before it reads again (`on_recovery`).
        logger.error("cache versions not bumped (%s): cached answers go when Redis is back", exc)
        _drop_all_when_back()


def _drop_all() -> None:
    """Invalidate every cached answer: this process found Redis back after an outage, and a
    write in between may not have bumped its versions."""
    _bump_now([], catalog=True)


_retrying = threading.Lock()


def _drop_all_when_back() -> None:
    if not _retrying.acquire(blocking=False):
        return  # a thread of this process is retrying already

    def retry() -> None:
        try:
            while True:
                time.sleep(settings.KOEL_REDIS_RETRY_SECONDS)
                with suppress(RedisError):
                    _drop_all()
                    return
        finally:
            _retrying.release()

    threading.Thread(target=retry, name="koel-cache-drop", daemon=True).start()


def _bump_now(codes: list[str], *, catalog: bool = False, writer: str = "") -> None:
    # One script for a whole scrape's bases: fresh numbers (still marked while other writers are
    # in flight), a new generation, with `catalog` a new catalog version and token, all at once
    # (a snapshot never sees the new catalog version with the old catalog token).
    backend = cache.client
    keys = [backend.make_key(k) for k in (GENERATION, CATALOG, CATALOG_TOKEN)]
    keys += [backend.make_key(_key(code)) for code in codes]
    catalogs = (_token(), _token()) if catalog else ("", "")
    args = (writer, repr(time.time()), settings.KOEL_CACHE_WRITE_SECONDS, _token(), *catalogs)
    backend.get_client(write=True).register_script(cache_marks.SETTLE)(keys=keys, args=args)


def _token(prefix: str = "") -> str:
    return f"{prefix}{secrets.token_hex(8)}"


def _check_server(connection) -> None:
    """On each new Redis connection: drop every cached answer if the server is one whose data
    the caches were not checked for (cache_marks.CHECK_SERVER), before the connection is used."""
    backend = cache.client
    keys = [backend.make_key(k) for k in (SERVER, GENERATION, CATALOG, CATALOG_TOKEN)]
    try:
        connection.send_command("EVAL", cache_marks.CHECK_SERVER, len(keys), *keys,
                                _token(), _token(), _token())  # fmt: skip
        dropped = connection.read_response()
    except ResponseError as exc:  # a server refusing INFO in scripts: nothing to compare
        logger.warning("Redis server not checked for a restart: %s", exc)
        return
    if dropped:
        logger.warning("a Redis server not seen before: every cached answer dropped")


on_recovery(_drop_all)
on_connect(_check_server)
