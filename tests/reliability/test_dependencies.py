"""Dependencies failing (docs/reliability.md, section 2): Redis gone and back, through the real
WSGI stack (ReplayApp in front of Django) against a throwaway redis-server this test stops and
starts; PostgreSQL stopped and started under a real web server; the launcher's guards.
The machine's shared PostgreSQL and Redis are never touched."""

import json
import logging
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

from rates.redis_outage import circuit
from reliability.servers import (
    TcpProxy,
    ThrowawayRedis,
    free_port,
    postgres_connector,
)
from tests.api.test_replay import PAIR

RETRY_SECONDS = 0.2
CONVERT = {"from": "EUR", "to": "USD", "amount": "10"}


@pytest.fixture
def redis_server(tmp_path, settings):
    """The cache on a throwaway Redis; afterwards the cache of every other test again."""
    server = ThrowawayRedis(tmp_path)
    server.start()
    before = settings.CACHES
    settings.CACHES = {**before, "default": {**before["default"], "LOCATION": server.url}}
    settings.REDIS_URL = server.url
    settings.KOEL_REDIS_RETRY_SECONDS = RETRY_SECONDS
    circuit.reset()
    yield server
    settings.CACHES = before  # before the conftest's clean-up asks the shared Redis
    server.stop()
    circuit.reset()


def rate_of(reply) -> str:
    return json.loads(reply.body)["rates"][0]["rate"]


def outage_lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]


def test_without_redis_reads_answer_from_the_database_and_the_outage_is_logged_once(
    get, redis_server, eur_usd, caplog
):
    assert not [get("/api/v1/rates/", PAIR) for _ in range(2)][1].through_django  # replayed
    redis_server.stop()
    caplog.set_level(logging.WARNING)

    first = [get("/api/v1/rates/", PAIR) for _ in range(10)]
    logged = outage_lines(caplog)
    rest = [get("/api/v1/rates/", PAIR) for _ in range(20)]
    converted = get("/api/v1/convert/", CONVERT)

    assert {r.status for r in first + rest} == {"200 OK"}
    assert {rate_of(r) for r in first + rest} == {"1.0956"}
    assert all(r.through_django for r in first + rest)
    assert converted.status == "200 OK"
    assert json.loads(converted.body)["converted"] == "10.96"
    assert outage_lines(caplog) == logged  # nothing more per request
    down = [line for line in logged if line.startswith("Redis is unavailable")]
    assert len(down) == 1
    assert circuit.is_open


def test_redis_back_is_used_again_by_itself(get, redis_server, eur_usd, caplog):
    redis_server.stop()
    assert get("/api/v1/rates/", PAIR).status == "200 OK"
    caplog.set_level(logging.WARNING)
    redis_server.start()
    time.sleep(RETRY_SECONDS * 2)

    replies = [get("/api/v1/rates/", PAIR) for _ in range(3)]

    assert [r.status for r in replies] == ["200 OK"] * 3
    assert [r.through_django for r in replies] == [True, False, False]  # stored, then replayed
    assert not circuit.is_open
    assert "Redis is back: caching and throttling again" in outage_lines(caplog)


def test_a_write_while_redis_is_down_is_never_hidden_by_an_answer_cached_before_it(
    get, redis_server, eur_usd, store, django_capture_on_commit_callbacks
):
    assert rate_of(get("/api/v1/rates/", PAIR)) == "1.0956"
    assert not get("/api/v1/rates/", PAIR).through_django  # stored in Redis, saved on stop
    redis_server.stop()
    with django_capture_on_commit_callbacks(execute=True):  # its version bump fails
        store("ecb", ("EUR", "USD", "1.2000", "2024-01-03T15:00"))
    redis_server.start()  # with the old answer in it
    time.sleep(RETRY_SECONDS * 2)

    assert rate_of(get("/api/v1/rates/", PAIR)) == "1.2000"
    assert rate_of(get("/api/v1/rates/", PAIR)) == "1.2000"


def test_without_redis_the_throttle_lets_requests_through(get, redis_server, eur_usd, settings):
    settings.KOEL_ANON_RATE = "2/minute"
    redis_server.stop()

    replies = [get("/api/v1/rates/", PAIR) for _ in range(5)]  # three over the limit

    assert {r.status for r in replies} == {"200 OK"}


def test_without_redis_health_names_it_while_reads_answer(client, redis_server, eur_usd):
    redis_server.stop()

    health = client.get("/health/")
    read = client.get("/api/v1/rates/", PAIR)

    assert health.status_code == 503
    assert "redis" in health.json()["failing"]
    assert "database" not in health.json()["failing"]
    assert read.status_code == 200


@pytest.fixture
def web_behind_proxy(transactional_db, store, tmp_path):
    """granian serving Koel, its PostgreSQL (the test database, with a committed EUR/USD rate)
    reached through a TcpProxy."""
    store("ecb", ("EUR", "USD", "1.0956", "2024-01-02T15:00"))
    database = connection.settings_dict
    proxy = TcpProxy(postgres_connector(database))
    proxy.start()
    user = quote(database["USER"] or "postgres")
    password = f":{quote(database['PASSWORD'])}" if database["PASSWORD"] else ""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{user}{password}@127.0.0.1:{proxy.port}/{database['NAME']}",
        "KOEL_CACHE_PREFIX": f"koel-test-pg-{port}",  # nothing cached by earlier tests
        "DEBUG": "1",
        "DB_CONNECT_TIMEOUT": "2",
    }
    granian = Path(sys.executable).parent / "granian"
    command = [str(granian), "--interface", "wsgi", "--host", "127.0.0.1", "--port", str(port)]
    server = subprocess.Popen(
        [*command, "--workers", "1", "koel.wsgi:application"],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(tmp_path / "web.log").open("w"),
    )
    base = f"http://127.0.0.1:{port}"
    try:
        assert until(lambda: fetch(f"{base}/healthz")[0] == 200, seconds=30)
        yield base, proxy
    finally:
        server.terminate()
        server.wait(10)
        proxy.stop()


def fetch(url: str, accept: str = "application/json") -> tuple[int, str, str]:
    """Status, Content-Type and body; (0, '', reason) when nothing answers."""
    request = urllib.request.Request(url, headers={"Accept": accept})  # noqa: S310 - local
    try:
        with urllib.request.urlopen(request, timeout=15) as response:  # noqa: S310
            return response.status, response.headers["Content-Type"], response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers["Content-Type"], error.read().decode()
    except OSError as error:
        return 0, "", str(error)


def until(check, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.2)
    return False


def test_postgresql_restarted_answers_503_then_recovers(web_behind_proxy):
    base, proxy = web_behind_proxy
    assert fetch(f"{base}/healthz")[0] == 200
    proxy.stop()  # every connection dropped, new ones refused

    # Neither asked before: no cached answer stands in for the database.
    api = fetch(f"{base}/api/v1/rates/?base=USD&target=EUR")
    page = fetch(f"{base}/rates/EUR/", accept="text/html")
    probe = fetch(f"{base}/healthz")
    proxy.start()

    assert (api[0], api[1]) == (503, "application/json")
    assert json.loads(api[2])["error"]["code"] == "unavailable"
    assert (page[0], page[1].split(";")[0]) == (503, "text/html")
    assert "Temporarily unavailable" in page[2]
    assert probe[0] == 503
    assert until(lambda: fetch(f"{base}/api/v1/rates/?base=USD&target=EUR")[0] == 200, 10)
    assert fetch(f"{base}/rates/EUR/", accept="text/html")[0] == 200
