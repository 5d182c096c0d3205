"""The read replica's router (rates/replica.py) against a real streaming replica: a throwaway
primary (initdb, wal_level=replica) and a replica made by pg_basebackup -R, both started from
the machine's PostgreSQL binaries on free ports. A child process with DATABASE_URL on the
primary and DATABASE_REPLICA_URL on the replica reads through rates.reads while the replica is
caught up, paused mid-replay (lagging), inside a transaction, after a write in the same request,
down, and back (tests/reliability/replica_probe.py)."""

import json
import os
import subprocess
import sys
import uuid

import pytest
import redis
from django.conf import settings

from .streaming import bin_dir, streaming_pair

TOOLS = bin_dir()
pytestmark = pytest.mark.skipif(
    TOOLS is None, reason="no PostgreSQL server binaries (initdb, pg_ctl, pg_basebackup) here"
)
RETRY_SECONDS = "1"


def probe(pair, redis_url: str, prefix: str) -> dict:
    env = {
        "DATABASE_URL": pair.primary.url(),
        "DATABASE_REPLICA_URL": pair.replica.url(),
        "REDIS_URL": redis_url,
        # A prefix of its own: a WAL position recorded against an earlier throwaway primary
        # would keep every read on the primary until this one's WAL passed it.
        "KOEL_CACHE_PREFIX": prefix,
        "KOEL_REPLICA_RETRY_SECONDS": RETRY_SECONDS,
        "KOEL_PROBE_TOOLS": str(pair.tools),
        "KOEL_PROBE_ROOT": str(pair.root),
        "KOEL_PROBE_REPLICA_PORT": str(pair.replica.port),
        "DEBUG": "1",
    }
    # The parent's DATABASE_* would otherwise win over nothing: drop them, then add ours.
    child = {k: v for k, v in os.environ.items() if not k.startswith("DATABASE_")} | env
    for command in (["manage.py", "migrate", "-v0"], ["-m", "tests.reliability.replica_probe"]):
        done = subprocess.run(
            [sys.executable, *command],
            cwd=settings.BASE_DIR,
            env=child,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def found() -> dict:
    prefix = f"koel-test-replica-{uuid.uuid4().hex[:8]}"
    try:
        with streaming_pair(TOOLS) as pair:
            assert pair.sql(pair.replica, "SELECT pg_is_in_recovery()") == "t"
            return probe(pair, settings.REDIS_URL, prefix)
    finally:
        client = redis.Redis.from_url(settings.REDIS_URL)
        for key in client.scan_iter(f"{prefix}:*"):
            client.delete(key)


def test_reads_go_to_the_replica_once_it_has_replayed_every_write(found):
    assert found["caught_up"] == {"rate": "1.10", "from": ["replica"]}
    assert found["resumed"] == {"rate": "1.20", "from": ["replica"]}


def test_a_lagging_replica_is_passed_over_for_the_primary(found):
    # Replay was paused after 1.10 landed, then 1.20 was written: the replica still holds 1.10,
    # the reader gets 1.20 from the primary.
    assert found["lagging_replica_itself"] == "1.10"
    assert found["lagging"] == {"rate": "1.20", "from": ["default"]}


def test_reads_in_a_transaction_or_after_a_write_in_the_same_request_use_the_primary(found):
    assert found["in_transaction"]["from"] == ["default"]
    assert found["scope_before_write"]["from"] == ["replica"]
    assert found["scope_after_write"] == {"rate": "1.30", "from": ["default"]}


def test_a_replica_that_is_down_falls_back_to_the_primary_then_comes_back(found):
    down, still_down = found["replica_down"], found["replica_still_down"]
    assert (down["rate"], down["from"]) == ("1.30", ["default"])
    assert down["seconds"] < 5  # refused at once (connect_timeout bounds an unanswered host)
    # Within KOEL_REPLICA_RETRY_SECONDS the replica is not even tried again.
    assert (still_down["from"], still_down["seconds"] < 0.5) == (["default"], True)
    assert found["replica_back"] == {"rate": "1.30", "from": ["replica"]}
