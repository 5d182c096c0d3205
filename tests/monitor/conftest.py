"""The push stream's tests run a real ASGI server process (granian, koel.asgi) against the test
database and Redis, and talk to it over a socket as browsers do."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.db import connection

from rates.ingest.loading import currencies_load, sources_load

ROOT = Path(__file__).resolve().parents[2]
HEARTBEAT_SECONDS = 0.5
ANON_LIMIT = 30  # anonymous opens per minute and client address on the test server


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env(**overrides: str) -> dict:
    """This test run's servers for the stream process: the test database, the same Redis and
    cache key prefix (tests/conftest.py), a short heartbeat, one trusted proxy (each test's
    client picks its own address for the throttle)."""
    db = connection.settings_dict
    host = db["HOST"].replace("/", "%2F") or "127.0.0.1"
    url = f"postgres://{db['USER']}@{host}:{db['PORT'] or 5432}/{db['NAME']}"
    return {
        **os.environ,
        "DEBUG": "1",
        "DATABASE_URL": url,
        "KOEL_CACHE_PREFIX": "koel-test",
        "KOEL_STREAM_HEARTBEAT_SECONDS": str(HEARTBEAT_SECONDS),
        "KOEL_ANON_RATE": f"{ANON_LIMIT}/minute",
        "KOEL_NUM_PROXIES": "1",
        "PYTHONPATH": str(ROOT),
        **overrides,
    }


def start_server(env: dict) -> tuple[subprocess.Popen, str]:
    port = free_port()
    granian = Path(sys.executable).parent / "granian"
    command = [str(granian), "--interface", "asgi", "--port", str(port), "--workers", "1"]
    process = subprocess.Popen(
        [*command, "koel.asgi:application"], cwd=ROOT, env=env, start_new_session=True
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=2):  # noqa: S310 - local
                return process, base
        except OSError:
            time.sleep(0.2)
    stop_server(process)
    raise RuntimeError("the stream server did not come up")


def stop_server(process: subprocess.Popen, timeout: float = 15) -> int:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
    try:
        return process.wait(timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        raise


@pytest.fixture(scope="session")
def stream_server(django_db_setup, django_db_blocker):
    """One stream server for the session's stream tests; its base URL."""
    with django_db_blocker.unblock():
        process, base = start_server(server_env())
    yield base
    stop_server(process)


@pytest.fixture
def committed_catalog(transactional_db):
    """Currencies and sources committed, so that the server process sees them."""
    currencies_load()
    sources_load()
