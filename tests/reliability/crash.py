"""Making a process die mid-write, deterministically, and checking what it left.

The kill must land while the write is in flight, not before or after it. So instead of sleeping,
the test holds a SHARE lock on rates_latestrates in its own transaction: an ingest COPYs its rows
into rates_exchangerate, then blocks on that lock when it writes the source's latest rates, with
every row of its batch (or, in the ECB import, of its first chunk) sent but not committed. The
test waits until PostgreSQL reports that backend as blocked by its own, then kills (the process,
or the backend), and only then lets go.
"""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import psycopg
from django.conf import settings
from django.db import connection

ROOT = settings.BASE_DIR

# Every stored row in a fixed order, and its md5: equal before and after means nothing was lost,
# added twice or left half-written.
CHECKSUM = """
SELECT count(*), md5(coalesce(string_agg(
    concat_ws('|', base_id, target_id, observed_at, source_id, rate, derived), ','
    ORDER BY base_id, target_id, observed_at, source_id), ''))
FROM rates_exchangerate
"""
LATEST = """
SELECT count(*), md5(coalesce(string_agg(concat_ws('|', base_id, source_id, quotes, newest), ','
    ORDER BY base_id, source_id), '')) FROM rates_latestrates
"""


@dataclass(frozen=True)
class Stored:
    rows: int
    rows_md5: str
    latest: int
    latest_md5: str


def stored() -> Stored:
    """What another session sees committed: the rates and the latest rates, counted and hashed."""
    with connection.cursor() as cursor:
        cursor.execute(CHECKSUM)
        rows, rows_md5 = cursor.fetchone()
        cursor.execute(LATEST)
        latest, latest_md5 = cursor.fetchone()
    return Stored(rows, rows_md5, latest, latest_md5)


def duplicates() -> int:
    """Rows sharing a key (the primary key forbids it; this checks that it held)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM (SELECT 1 FROM rates_exchangerate GROUP BY base_id, target_id, "
            "observed_at, source_id HAVING count(*) > 1) d"
        )
        return cursor.fetchone()[0]


def _dsn() -> str:
    db = connection.settings_dict
    parts = {"dbname": db["NAME"], "user": db["USER"], "host": db["HOST"], "port": db["PORT"]}
    if db["PASSWORD"]:
        parts["password"] = db["PASSWORD"]
    return " ".join(f"{key}={value}" for key, value in parts.items() if value)


class Gate:
    """A session of the test's own holding the lock an ingest waits on."""

    def __init__(self, conn: psycopg.Connection) -> None:
        self.conn = conn
        self.pid = conn.info.backend_pid

    def blocked(self, process: subprocess.Popen | None = None, timeout: float = 60) -> int:
        """The pid of the backend (of this database) waiting on the gate, once there is one;
        fails at once when `process` (the ingest's) ends before."""
        deadline = time.monotonic() + timeout
        with psycopg.connect(_dsn(), autocommit=True) as probe:
            while time.monotonic() < deadline:
                if process is not None and process.poll() is not None:
                    output = process.stdout.read() if process.stdout else ""
                    raise AssertionError(f"the ingest ended first:\n{output[-3000:]}")
                row = probe.execute(
                    "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                    "AND %s = ANY(pg_blocking_pids(pid))",
                    [self.pid],
                ).fetchone()
                if row:
                    return row[0]
                time.sleep(0.05)
        raise TimeoutError("no ingest reached the gate")

    def open(self) -> None:
        self.conn.rollback()


@contextmanager
def gate() -> Iterator[Gate]:
    """Hold writes of rates_latestrates (the last step of every ingest) until the block ends."""
    with psycopg.connect(_dsn()) as conn:
        conn.execute("LOCK TABLE rates_latestrates IN SHARE MODE")
        held = Gate(conn)
        try:
            yield held
        finally:
            held.open()


def backend_gone(pid: int, timeout: float = 30) -> None:
    """Wait until backend `pid` has ended (it ends its transaction, uncommitted, on the way)."""
    deadline = time.monotonic() + timeout
    with psycopg.connect(_dsn(), autocommit=True) as probe:
        while time.monotonic() < deadline:
            query = "SELECT 1 FROM pg_stat_activity WHERE pid = %s"
            if probe.execute(query, [pid]).fetchone() is None:
                return
            time.sleep(0.05)
    raise TimeoutError(f"backend {pid} still there")


def terminate_backend(pid: int) -> None:
    """pg_terminate_backend of one backend of this test's database, never anyone else's."""
    with psycopg.connect(_dsn(), autocommit=True) as conn:
        row = conn.execute("SELECT datname FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone()
        assert row is not None, f"no backend {pid}"
        assert row[0] == connection.settings_dict["NAME"], f"{pid} is not ours"
        assert conn.execute("SELECT pg_terminate_backend(%s)", [pid]).fetchone()[0]


def manage(*args: str, env: dict) -> subprocess.Popen:
    """`manage.py ARGS…` in a child process of its own group (so it can be killed whole)."""
    return subprocess.Popen(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def sigkill(process: subprocess.Popen) -> str:
    """SIGKILL the process (only it: its children must fend for themselves), then its output."""
    os.kill(process.pid, signal.SIGKILL)
    output, _ = process.communicate(timeout=30)
    return output
