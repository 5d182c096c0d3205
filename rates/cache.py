"""Versioned cache keys for rate reads.

Every read answer depends on the stored rows of a few bases (the pair's two currencies and the
pivots). Each base has a version number in the cache; a write bumps the versions of the bases it
touched once its transaction commits, and read keys embed the versions they depend on, so an
answer cached before a write is never served after it (its key is simply not asked for again).
"""

from collections.abc import Iterable

from django.core.cache import cache
from django.db import transaction

_PREFIX = "rates:version:"


def _key(code: str) -> str:
    return f"{_PREFIX}{code}"


def versions_of(codes: Iterable[str]) -> str:
    """A fragment for a cache key: the current version of each code, e.g. 'EUR3.USD7'."""
    codes = sorted(set(codes))
    found = cache.get_many([_key(code) for code in codes])
    return ".".join(f"{code}{found.get(_key(code), 0)}" for code in codes)


def bump_on_commit(codes: Iterable[str]) -> None:
    """Invalidate every cached read that depends on these bases, once the write commits."""
    codes = sorted(set(codes))
    transaction.on_commit(lambda: _bump(codes))


def _bump(codes: list[str]) -> None:
    # One round trip for a whole scrape's bases. INCR creates a missing key at 1, without expiry,
    # and django-redis stores integers as plain numbers, so cache.get_many reads them back.
    client = cache.client.get_client(write=True)
    with client.pipeline(transaction=False) as pipe:
        for code in codes:
            pipe.incr(cache.client.make_key(_key(code)))
        pipe.execute()
