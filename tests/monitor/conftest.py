"""The push stream's tests run a real ASGI server process (granian, koel.asgi) against the test
database and Redis, and talk to it over a socket as browsers do. The monitor page's tests write
live rates through the write service and alert firings of two users."""

import importlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone

from alerts.models import AlertFiring, AlertRule
from monitor.models import LivePair
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


# The default live group, as its migration seeds it (a transactional test's flush removes it).
MAJORS = importlib.import_module("monitor.migrations.0002_majors").MAJORS


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


@pytest.fixture
def live_rates(store):
    """EUR/USD and USD/JPY: the rate in force at today's 00:00 UTC, then a newer one a minute
    ago (EUR/USD up 0.296 %, USD/JPY down), in the default live group; returns the newer ones'
    instant."""
    for position, (base, target) in enumerate(MAJORS):
        LivePair.objects.get_or_create(base=base, target=target, defaults={"position": position})
    now = timezone.now()
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    before, latest = midnight - timedelta(hours=1), now - timedelta(minutes=1)
    store(
        "yahoo",
        ("EUR", "USD", "1.0810", iso(before)),
        ("USD", "JPY", "150.00", iso(before)),
        ("EUR", "USD", "1.0842", iso(latest)),
        ("USD", "JPY", "149.25", iso(latest)),
    )
    return latest


@pytest.fixture
def watcher(db):
    return get_user_model().objects.create_user("watcher", "watcher@example.com", "pw")


@pytest.fixture
def stranger(db):
    return get_user_model().objects.create_user("stranger", "stranger@example.com", "pw")


@pytest.fixture
def fired(currencies):
    """fired(user, "EUR", "USD", "above", "1.08", rate="1.0842"): a rule of `user` and a
    firing of it, fired `ago` before now."""

    def fire(user, base, target, condition, threshold, *, rate, ago=timedelta(minutes=5), **kw):
        rule = AlertRule.objects.create(
            owner=user,
            base=base,
            target=target,
            condition=condition,
            threshold=Decimal(threshold),
            notify_email=False,
            name=kw.pop("name", ""),
        )
        when = timezone.now() - ago
        return AlertFiring.objects.create(
            rule=rule, rate=Decimal(rate), observed_at=when, source="yahoo", fired_at=when, **kw
        )

    return fire


# The browser fixtures and hooks of tests/pages (Debian's Chromium, screenshots of failures,
# ORM calls between Playwright's calls) serve the monitor's browser tests too.
from tests.pages.conftest import (  # noqa: E402, F401
    browser_type_launch_args,
    page,
    page_without_js,
    pytest_runtest_makereport,
    pytest_runtest_protocol,
)


@pytest.fixture
def signed_in(client, watcher, live_server):
    """Log `watcher` in for a browser: sign_in(page) gives the page the session's cookie."""
    client.force_login(watcher)
    cookie = client.cookies["sessionid"]

    def sign_in(browser_page):
        browser_page.context.add_cookies(
            [{"name": "sessionid", "value": cookie.value, "url": live_server.url}]
        )

    return sign_in
