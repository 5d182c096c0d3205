"""No cached answer from before a write is served once the write has committed (issue 13, item 3;
docs/reliability.md, "4. Load with writes"), through the real WSGI stack (ReplayApp in front of
Django) and real commits.

The writer runs in a thread of its own (its own PostgreSQL connection) and is held, by an
on-commit callback registered before the write's own, after its COMMIT and before its cache
versions are bumped: the window in which readers of another process were given the pre-write
answer (the load run's stale reads).
"""

import json
import threading
import time
from contextlib import contextmanager, suppress

import pytest
from django.db import connection, transaction

from rates.cache import snapshot

PAIR = {"base": "EUR", "target": "USD"}


@pytest.fixture
def committed(transactional_db, store):
    """A first EUR/USD rate, committed and its versions bumped (no test transaction around)."""
    store("ecb", ("EUR", "USD", "1.0956", "2024-01-02T15:00"))


class Rollback(Exception):
    pass


@contextmanager
def in_thread(write):
    """`write(reached, release)` in another thread (its own PostgreSQL connection); the block
    runs once it sets `reached`, and `release` is set when the block ends."""
    reached, release, failed = threading.Event(), threading.Event(), []

    def run() -> None:
        try:
            write(reached, release)
        except Exception as exc:  # reported by the test, not lost in the thread
            failed.append(exc)
        finally:
            reached.set()
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    assert reached.wait(30)
    try:
        assert not failed, failed
        yield thread
    finally:
        release.set()
        thread.join(30)


def held_after_commit(store, *spec):
    """Write `spec` in another thread, held after its COMMIT (before the write's own on-commit
    callbacks, registered after this one) until the block ends."""

    def write(reached, release) -> None:
        with transaction.atomic():
            transaction.on_commit(lambda: (reached.set(), release.wait(30)))
            store("ecb", spec)

    return in_thread(write)


def held_before_commit(store, *spec, source: str = "ecb", fail: bool = False):
    """Write `spec` of `source` in another thread inside a transaction held open (marked, not
    committed) until the block ends; then it commits, or with `fail` rolls back. (Two writes of
    one source wait for each other: rates.ingest.bulk.lock_source.)"""

    def write(reached, release) -> None:
        with suppress(Rollback), transaction.atomic():
            store(source, spec)
            reached.set()
            release.wait(30)
            if fail:
                raise Rollback

    return in_thread(write)


def rate_of(reply) -> str:
    return json.loads(reply.body)["rates"][0]["rate"]


@pytest.mark.parametrize("replay", [True, False], ids=["replayed", "built"])
def test_a_read_after_the_commit_never_gets_the_pre_write_answer(
    committed, get, store, settings, replay
):
    settings.KOEL_REPLAY = replay
    assert rate_of(get("/api/v1/rates/", PAIR)) == "1.0956"
    assert rate_of(get("/api/v1/rates/", PAIR)) == "1.0956"  # cached (and replayed)

    with held_after_commit(store, "EUR", "USD", "1.2000", "2024-01-03T15:00"):
        during = [rate_of(get("/api/v1/rates/", PAIR)) for _ in range(2)]
    after = [get("/api/v1/rates/", PAIR) for _ in range(2)]

    assert during == ["1.2000", "1.2000"]
    assert [rate_of(reply) for reply in after] == ["1.2000", "1.2000"]
    assert after[0].through_django  # nothing read in the window was kept
    if replay:
        assert not after[1].through_django  # kept again once the versions are fresh


def test_bases_stay_in_flight_until_every_writer_of_theirs_has_committed(committed, store):
    assert not snapshot(["EUR"]).writing
    with held_before_commit(store, "EUR", "USD", "1.2", "2024-01-03T15:00"):
        second_write = ("EUR", "JPY", "160", "2024-01-03T15:00")
        with held_before_commit(store, *second_write, source="alpha") as second:
            assert snapshot(["EUR"]).writing
        second.join(30)  # committed, while the first is still in flight
        assert snapshot(["EUR"]).writing
    assert not snapshot(["EUR"]).writing


def test_a_write_rolled_back_after_its_mark_leaves_the_versions_fresh_at_once(
    committed, store, monkeypatch
):
    before = snapshot(["EUR"])

    def fail(*args, **kwargs):
        raise RuntimeError("after the mark")  # the write's last step, before its COMMIT

    monkeypatch.setattr("rates.ingest.services.announce_on_commit", fail)
    with pytest.raises(RuntimeError):
        store("ecb", ("EUR", "USD", "1.2", "2024-01-03T15:00"))

    after = snapshot(["EUR"])
    assert not after.writing
    assert after.versions != before.versions  # new numbers: nothing kept meanwhile is found


def test_an_enclosing_rollback_is_settled_by_the_threads_next_write(committed, store):
    with held_before_commit(store, "EUR", "USD", "1.2", "2024-01-03T15:00", fail=True) as w:
        assert snapshot(["EUR"]).writing
    w.join(30)
    assert snapshot(["EUR"]).writing  # its marks stay: no callback tells of an outer rollback

    with transaction.atomic():
        store("ecb", ("EUR", "GBP", "0.85", "2024-01-03T15:00"))  # this thread's, committed
        assert snapshot(["EUR"]).writing
    assert snapshot(["GBP", "EUR"]).writing  # the other thread's marks are its own


def test_a_writer_that_never_settles_stops_counting_after_the_bound(
    committed, get, store, settings
):
    settings.KOEL_CACHE_WRITE_SECONDS = 0.5
    with held_before_commit(store, "EUR", "USD", "1.2", "2024-01-03T15:00", fail=True) as w:
        pass
    w.join(30)  # rolled back by its own block: as a writer killed before it could settle
    assert snapshot(["EUR"]).writing
    assert get("/api/v1/rates/", PAIR).through_django
    time.sleep(0.6)

    replies = [get("/api/v1/rates/", PAIR) for _ in range(2)]

    assert not snapshot(["EUR"]).writing
    assert [rate_of(r) for r in replies] == ["1.0956", "1.0956"]
    assert not replies[1].through_django  # cached and replayed again


def test_a_snapshot_is_still_one_round_trip_with_a_write_in_flight(committed, store):
    from rates import redis_link

    sent = []
    real = redis_link.run

    def counted(*commands):
        sent.append(commands)
        return real(*commands)

    with held_before_commit(store, "EUR", "USD", "1.2", "2024-01-03T15:00"):
        from unittest.mock import patch

        with patch("rates.cache.run", counted):
            found = snapshot(["EUR", "USD", "JPY"])
    assert found.writing
    assert [len(commands) for commands in sent] == [1]  # one MGET, nothing else
