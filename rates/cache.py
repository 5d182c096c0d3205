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
"""

import itertools
import logging
import secrets
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from redis.exceptions import RedisError

from rates import replica
from rates.redis_link import run
from rates.redis_outage import on_recovery

logger = logging.getLogger(__name__)

_PREFIX = "rates:version:"
CATALOG = "rates:catalog"
GENERATION = "rates:generation"
CATALOG_TOKEN = "rates:catalog:token"  # noqa: S105 - a cache key, not a secret

_pinned: ContextVar[str | None] = ContextVar("koel_catalog_token", default=None)
_local_edits = itertools.count(1)  # next() is atomic: edits made by this process's threads
_local_edit = 0


@dataclass(frozen=True)
class Snapshot:
    """The versions an answer is built under, read in one round trip."""

    versions: str  # a cache-key fragment, e.g. 'EUR3.USD7.c2'
    generation: str  # '' until the first write
    catalog_token: str  # the catalog the catalog version names (see `catalog_pinned`)


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
    versions = [f"{code}{int(value or 0)}" for code, value in zip(codes, found, strict=True)]
    versions.append(f"c{int(catalog or 0)}")
    token = token.decode() if token is not None else _stored_token()
    return Snapshot(".".join(versions), (generation or b"").decode(), token)


def versions_of(codes: Iterable[str]) -> str:
    """A fragment for a cache key: the current version of each code and of the catalog, e.g.
    'EUR3.USD7.c2'."""
    return snapshot(codes).versions


def bump_on_commit(codes: Iterable[str]) -> None:
    """Invalidate every cached read that depends on these bases, once the write commits."""
    codes = sorted(set(codes))
    # Robust: a failed bump (Redis down) must not skip the write's later on-commit work (its
    # announcement to the stream, its counters) nor raise into a write that has committed.
    transaction.on_commit(lambda: _bump(codes), robust=True)


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


def _bump(codes: list[str], *, catalog: bool = False) -> None:
    try:
        # Before the versions: whoever sees them new must not read a replica behind this write.
        replica.mark_written()
        _bump_now(codes, catalog=catalog)
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


def _bump_now(codes: list[str], *, catalog: bool = False) -> None:
    # One round trip for a whole scrape's bases. INCR creates a missing key at 1, without expiry;
    # the values are plain numbers, read back by snapshot().
    # MULTI: a snapshot never sees the new catalog version with the old catalog token.
    backend = cache.client
    with backend.get_client(write=True).pipeline(transaction=True) as pipe:
        for code in codes:
            pipe.incr(backend.make_key(_key(code)))
        if catalog:
            pipe.incr(backend.make_key(CATALOG))
            pipe.set(backend.make_key(CATALOG_TOKEN), secrets.token_hex(8))
        pipe.set(backend.make_key(GENERATION), secrets.token_hex(8))
        pipe.execute()


on_recovery(_drop_all)
