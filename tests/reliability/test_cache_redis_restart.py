"""Redis restarted mid-ingest (docs/reliability.md, "3. Crash consistency"): a persisted Redis
that comes back from its last save (killed with SIGKILL, or shut down cleanly while a write
commits) holds the versions and the answers of before the write. No answer cached before the
write is served afterwards, by a process that saw no outage (its circuit closed, its connections
simply dropped): every new connection finds a server whose data the caches were not checked for,
and every cached answer is dropped once (rates.cache `_check_server`). The rerun of the ingest
then leaves the stored rows as the first run did (counts and checksums, tests/reliability/crash.py).

The Redis is a throwaway one (reliability.servers.ThrowawayRedis: RDB, saved by SAVE and on a
clean stop), never the machine's."""

import json
import os
import signal
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import redis

from rates.ingest.services import rates_upsert
from rates.redis_outage import circuit
from rates.types import RateRow
from reliability.servers import ThrowawayRedis
from tests.api.test_replay import PAIR

from ..scrapers.crawling import child_env, crawl, load_reference_data
from ..scrapers.replay import ReplayServer
from ..scrapers.test_manager import UPDATED, open_er_api
from .crash import duplicates, gate, manage, stored

OLD = {"USD": "1.0500", "GBP": "0.8500", "JPY": "160.10", "CHF": "0.9400"}
NEW = {"USD": "1.0842", "GBP": "0.8611", "JPY": "162.05", "CHF": "0.9512"}


def save(server: ThrowawayRedis) -> None:
    redis.Redis.from_url(server.url).save()


def kill(server: ThrowawayRedis) -> None:
    """SIGKILL: what was written since the last save is lost."""
    os.kill(server.process.pid, signal.SIGKILL)
    server.process.wait(10)
    server.process = None


def rate_of(reply, target: str = "USD") -> Decimal:
    rates = json.loads(reply.body)["rates"]
    return Decimal(next(r["rate"] for r in rates if r["target"] == target))


def test_a_redis_back_from_its_last_save_serves_no_answer_from_before_a_later_write(
    get, redis_server, eur_usd, store, django_capture_on_commit_callbacks
):
    assert rate_of(get("/api/v1/rates/", PAIR)) == Decimal("1.0956")
    assert not get("/api/v1/rates/", PAIR).through_django  # cached and replayed
    save(redis_server)
    with django_capture_on_commit_callbacks(execute=True):  # bumped, after the save
        store("ecb", ("EUR", "USD", "1.2000", "2024-01-03T15:00"))
    assert rate_of(get("/api/v1/rates/", PAIR)) == Decimal("1.2000")
    kill(redis_server)
    redis_server.start()  # the old versions and the old answers, as saved
    circuit.reset()  # this process saw no outage: its connections simply broke

    replies = [get("/api/v1/rates/", PAIR) for _ in range(3)]

    assert [rate_of(r) for r in replies] == [Decimal("1.2000")] * 3
    assert not replies[-1].through_django  # cached again, under the new server's versions


# --- a real ingest process, Redis restarted while it writes ------------------------------------

PATHS = [f"/api/v1/rates/?base=EUR&target={code}" for code in OLD] + ["/api/v1/rates/?base=EUR"]


@pytest.fixture
def seeded(transactional_db, redis_server):
    """A day-old scrape's rates, committed, with the pairs' answers cached and saved."""
    load_reference_data("open_er_api")
    day_before = datetime.fromtimestamp(UPDATED - 86400, tz=UTC)
    rows = [RateRow("EUR", code, Decimal(rate), day_before) for code, rate in OLD.items()]
    rates_upsert(source="open_er_api", rows=rows)
    return redis_server


def answers(get) -> dict[str, dict[str, Decimal]]:
    """Each checked path's rates (target -> rate), read twice: built, then from the cache."""
    seen = {}
    for path in PATHS:
        route, _, query = path.partition("?")
        params = dict(part.split("=") for part in query.split("&"))
        replies = [get(route, params) for _ in range(2)]
        both = [
            {r["target"]: Decimal(r["rate"]) for r in json.loads(reply.body)["rates"]}
            for reply in replies
        ]
        assert both[0] == both[1], path
        seen[path] = both[0]
    return seen


def _crawl_args(server: ReplayServer) -> list[str]:
    return ["crawl", "open_er_api", "--base", "EUR", "--base-url", server.url]


RESTARTS = [
    "sigkill while the write commits",
    "clean stop while the write commits",
    "sigkill after the write's bump",
]


@pytest.mark.long
@pytest.mark.parametrize("restart", RESTARTS)
def test_redis_restarted_mid_ingest_loses_nothing_and_serves_no_pre_write_answer(
    seeded, get, restart
):
    server = seeded
    before = answers(get)
    assert before[PATHS[0]]["USD"] == Decimal(OLD["USD"])
    save(server)  # the answers and versions a restarted server comes back with
    env = child_env(REDIS_URL=server.url)
    with ReplayServer({"/v6/latest/EUR": open_er_api("EUR", NEW)}) as site, gate() as held:
        ingest = manage(*_crawl_args(site), env=env)
        held.blocked(ingest)  # the batch is COPYed, uncommitted, waiting on the gate
        if restart.endswith("commits"):
            kill(server) if restart.startswith("sigkill") else server.stop()
        held.open()
        output, _ = ingest.communicate(timeout=120)
    first = stored()
    assert first.rows == len(OLD) + len(NEW), output[-3000:]  # committed, Redis down or not
    # With Redis down at its commit the crawl logs errors (its broker, the stream, the alerts'
    # signal) and exits 1, its write committed: a retry reruns it (as below), changing nothing.
    assert ingest.returncode == 0 or restart.endswith("commits"), output[-3000:]
    if restart.endswith("bump"):
        kill(server)  # its new versions were never saved
    server.start()
    circuit.reset()  # this process saw no outage

    after = answers(get)

    expected = {code: Decimal(rate) for code, rate in NEW.items()}
    assert {path: rates for path, rates in after.items() if path != PATHS[-1]} == {
        path: {code: expected[code]} for path, code in zip(PATHS, OLD, strict=False)
    }
    assert {code: after[PATHS[-1]][code] for code in NEW} == expected
    with ReplayServer({"/v6/latest/EUR": open_er_api("EUR", NEW)}) as site:
        again = crawl(*_crawl_args(site)[1:], REDIS_URL=server.url)
    assert again.returncode == 0, again.stderr[-3000:]
    assert stored() == first  # the rerun changed no row: nothing lost, nothing twice
    assert duplicates() == 0
    assert answers(get) == after
