"""Crash consistency of the write path: a real ingest process (`manage.py crawl`, the one every
scrape runs) SIGKILLed mid-write, or its PostgreSQL backend terminated mid-write, leaves no row of
its batch visible; a second crawl then stores the whole batch once; and the cached answer of the
pair changes exactly when that write commits."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.test import Client

from rates.ingest.services import rates_upsert
from rates.types import RateRow

from ..scrapers.crawling import child_env, crawl, load_reference_data
from ..scrapers.replay import ReplayServer
from ..scrapers.test_manager import UPDATED, open_er_api
from .crash import backend_gone, duplicates, gate, manage, sigkill, stored, terminate_backend

OLD = {"USD": "1.0500", "GBP": "0.8500", "JPY": "160.10", "CHF": "0.9400"}
NEW = {"USD": "1.0842", "GBP": "0.8611", "JPY": "162.05", "CHF": "0.9512"}
PAIR = "/api/v1/rates/?base=EUR&target=USD"


def _served_usd(client: Client) -> str:
    response = client.get(PAIR)
    assert response.status_code == 200, response.content
    return response.json()["rates"][0]["rate"]


def _routes(rates: dict[str, str]) -> dict:
    return {"/v6/latest/EUR": open_er_api("EUR", rates)}


def _crawl_args(server: ReplayServer) -> list[str]:
    return ["crawl", "open_er_api", "--base", "EUR", "--base-url", server.url]


@pytest.fixture
def seeded(transactional_db):
    """A day-old scrape's rates, so the pair has an answer to cache and to go stale."""
    load_reference_data("open_er_api")
    day_before = datetime.fromtimestamp(UPDATED - 86400, tz=UTC)
    rows = [RateRow("EUR", code, Decimal(rate), day_before) for code, rate in OLD.items()]
    rates_upsert(source="open_er_api", rows=rows)


@pytest.mark.parametrize(
    "kill",
    ["sigkill the ingest process", pytest.param("terminate its backend", marks=pytest.mark.long)],
)
def test_an_ingest_killed_mid_write_leaves_nothing_and_a_rerun_stores_it_once(seeded, kill):
    client = Client()
    assert Decimal(_served_usd(client)) == Decimal(OLD["USD"])  # cached from now on
    before = stored()
    with ReplayServer(_routes(NEW)) as server, gate() as held:
        ingest = manage(*_crawl_args(server), env=child_env())
        backend = held.blocked(ingest)  # the batch is COPYed, uncommitted, waiting on the gate
        assert stored() == before  # no partial batch visible while it is in flight
        if kill == "terminate its backend":
            terminate_backend(backend)
            output, _ = ingest.communicate(timeout=60)
            assert ingest.returncode != 0, output
        else:
            sigkill(ingest)
        held.open()
        backend_gone(backend)
    assert stored() == before  # nothing of the killed batch committed
    assert Decimal(_served_usd(client)) == Decimal(OLD["USD"])

    with ReplayServer(_routes(NEW)) as server:
        again = crawl(*_crawl_args(server)[1:])
    assert again.returncode == 0, again.stderr
    after = stored()
    assert after.rows == before.rows + len(NEW)  # the whole batch, once
    assert duplicates() == 0
    # The answer cached before changes with the commit (the child bumped the pair's version).
    assert Decimal(_served_usd(client)) == Decimal(NEW["USD"])
