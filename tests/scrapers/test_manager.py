"""The failsafe manager, end to end: real crawls (fresh processes) against a local replay server,
through the quarantine into the partitioned table."""

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from rates.ingest.loading import currencies_load, sources_load
from rates.ingest.services import rates_upsert
from rates.models import Currency, ExchangeRate, QuarantinedRate, RunStatus, Source
from rates.reads import rate_for
from rates.types import RateRow
from scrapers.manager import scrape

from .replay import ReplayServer

CODES = ["EUR", "USD", "JPY", "GBP", "CHF"]
UPDATED = 1795132951  # 2026-11-20 00:02:31 UTC
FLOAT_DATE = "Thu, 19 Nov 2026 11:55:01 GMT"


def open_er_api(base: str, rates: dict[str, str]) -> tuple[int, bytes, str]:
    body = {
        "result": "success",
        "time_last_update_unix": UPDATED,
        "base_code": base,
        "rates": {base: 1, **{code: float(rate) for code, rate in rates.items()}},
    }
    return 200, json.dumps(body).encode(), "application/json"


def floatrates(rates: dict[str, str]) -> tuple[int, bytes, str]:
    body = {
        code.lower(): {"code": code, "rate": float(rate), "date": FLOAT_DATE, "inverseRate": 1}
        for code, rate in rates.items()
    }
    return 200, json.dumps(body).encode(), "application/json"


FAIL = (500, b"upstream error", "text/plain")


def wise(base: str, target: str, mid: str) -> tuple[int, bytes, str]:
    option = {"sourceCcy": base, "targetCcy": target, "targetAmount": 1000.0, "midRate": float(mid)}
    return (
        200,
        json.dumps([option, {**option, "payInMethod": "DEBIT"}]).encode(),
        "application/json",
    )


ALL = {"USD": "1.08", "JPY": "167.4", "GBP": "0.86", "CHF": "0.94"}


@pytest.fixture
def sites(transactional_db, settings):
    """Five active currencies; only open_er_api (priority 40) and floatrates (50) enabled, both
    pointed at the replay server, no politeness delay. The crawls see only committed rows."""
    # A 500 is retried once, quickly: failover is what is tested here (backoff: test_faults.py).
    settings.KOEL_CRAWL_SETTINGS = {"RETRY_TIMES": "1", "RETRY_BACKOFF_BASE": "0.05"}
    currencies_load()
    sources_load()
    Currency.objects.exclude(code__in=CODES).update(active=False)
    used = ["open_er_api", "floatrates", "wise"]
    Source.objects.exclude(code__in=[*used, "koel"]).update(enabled=False)

    def serve(routes):
        server = ReplayServer(routes)
        Source.objects.filter(code__in=used).update(base_url=server.url, politeness_delay=0)
        return server

    return serve


def paths(server: ReplayServer) -> list[str]:
    return [path for path, _ in server.requests if path != "/robots.txt"]


def stored(source: str) -> dict[str, Decimal]:
    rows = ExchangeRate.objects.filter(source=source, base="EUR")
    return {row.target_id: row.rate for row in rows}


def test_first_source_by_priority_covers_the_base_and_the_next_is_not_asked(sites):
    routes = {
        "/v6/latest/EUR": open_er_api("EUR", ALL),
        "/daily/eur.json": floatrates({"USD": "1.07"}),
    }
    with sites(routes) as server:
        run = scrape(scope="base", target="EUR")

    assert run.status == RunStatus.SUCCEEDED
    assert stored("open_er_api") == {
        "USD": Decimal("1.08"),
        "JPY": Decimal("167.4"),
        "GBP": Decimal("0.86"),
        "CHF": Decimal("0.94"),
    }
    assert paths(server) == ["/v6/latest/EUR"]
    assert [(a["source"], a["outcome"]) for a in run.attempts] == [("open_er_api", "ok")]
    assert (run.rates_stored, run.bases_done, run.bases_total) == (4, 1, 1)
    source = Source.objects.get(code="open_er_api")
    assert (source.attempts, source.successes, source.consecutive_failures) == (1, 1, 0)


def test_failing_source_fails_over_to_the_next_multi_pair_source(sites):
    routes = {
        "/v6/latest/EUR": FAIL,
        "/daily/eur.json": floatrates({"USD": "1.07", "JPY": "166", "GBP": "0.85", "CHF": "0.93"}),
    }
    with sites(routes):
        run = scrape(scope="base", target="EUR")

    assert run.status == RunStatus.SUCCEEDED
    assert [(a["source"], a["outcome"]) for a in run.attempts] == [
        ("open_er_api", "failed"),
        ("floatrates", "ok"),
    ]
    assert run.attempts[0]["error"]
    assert stored("floatrates")["USD"] == Decimal("1.07")
    failed = Source.objects.get(code="open_er_api")
    assert (failed.consecutive_failures, failed.last_error) == (1, run.attempts[0]["error"])


def test_partial_coverage_is_completed_by_the_next_source_then_a_cross_rate(sites):
    # USD -> CHF is known from an earlier scrape: the pivot leg of the cross rate.
    when = datetime(2026, 11, 19, 12, tzinfo=UTC)
    rates_upsert(source="floatrates", rows=[RateRow("USD", "CHF", Decimal("0.80"), when)])
    routes = {
        "/v6/latest/EUR": open_er_api("EUR", {"USD": "1.10", "JPY": "167.4"}),
        "/daily/eur.json": floatrates({"GBP": "0.85"}),
    }
    with sites(routes):
        run = scrape(scope="base", target="EUR")

    assert run.status == RunStatus.SUCCEEDED
    assert [(a["source"], a["outcome"]) for a in run.attempts] == [
        ("open_er_api", "ok"),
        ("floatrates", "ok"),
        ("wise", "failed"),  # asked for CHF, which it does not have here (404)
    ]
    assert run.attempts[1]["bases"] == ["EUR"]
    derived = ExchangeRate.objects.get(source="koel", base="EUR", target="CHF")
    assert (derived.rate, derived.derived) == (Decimal("0.880"), True)  # 1.10 x 0.80
    assert (run.rates_stored, run.rates_derived) == (3, 1)


@pytest.mark.long  # a whole-stack run of 10 s or more; `make reliability` runs it
def test_pairs_no_source_nor_pivot_can_give_leave_the_run_partial(sites):
    routes = {"/v6/latest/EUR": open_er_api("EUR", {"USD": "1.1"}), "/daily/eur.json": FAIL}
    with sites(routes):
        run = scrape(scope="base", target="EUR")

    assert run.status == RunStatus.PARTIAL
    assert run.errors == ["EUR: no rate for 3 target(s): CHF, GBP, JPY"]


@pytest.mark.long  # a whole-stack run of 10 s or more; `make reliability` runs it
def test_every_source_down_writes_nothing_fails_the_run_and_keeps_serving(sites):
    when = datetime(2026, 11, 18, 12, tzinfo=UTC)
    rates_upsert(source="floatrates", rows=[RateRow("EUR", "USD", Decimal("1.05"), when)])
    with sites({"/v6/latest/EUR": FAIL, "/daily/eur.json": FAIL}):
        run = scrape(scope="base", target="EUR")

    assert run.status == RunStatus.FAILED
    assert (run.rates_stored, run.rates_derived) == (0, 0)
    assert ExchangeRate.objects.count() == 1
    assert rate_for("EUR", "USD").rate == Decimal("1.05")  # the last good rate


def test_open_circuit_skips_the_source_without_a_request(sites, settings):
    later = datetime(2100, 1, 1, tzinfo=UTC)
    Source.objects.filter(code="open_er_api").update(
        consecutive_failures=settings.KOEL_BREAKER_FAILURES, circuit_open_until=later
    )
    routes = {
        "/v6/latest/EUR": open_er_api("EUR", {"USD": "1.08"}),
        "/daily/eur.json": floatrates({"USD": "1.07", "JPY": "166", "GBP": "0.85", "CHF": "0.93"}),
    }
    with sites(routes) as server:
        run = scrape(scope="base", target="EUR")

    assert run.attempts[0] == {
        "source": "open_er_api",
        "bases": ["EUR"],
        "targets": [],
        "outcome": "skipped",
        "reason": "circuit open until 2100-01-01T00:00:00+00:00",
    }
    assert paths(server) == ["/daily/eur.json"]
    assert run.status == RunStatus.SUCCEEDED


def test_absurd_value_is_quarantined_and_the_pair_taken_from_the_next_source(sites):
    when = datetime(2026, 11, 18, 12, tzinfo=UTC)
    rates_upsert(source="floatrates", rows=[RateRow("EUR", "USD", Decimal("1.08"), when)])
    routes = {
        "/v6/latest/EUR": open_er_api(
            "EUR", {"USD": "10.8", "JPY": "167", "GBP": "0.86", "CHF": "0.94"}
        ),
        "/daily/eur.json": floatrates({"USD": "1.09"}),
    }
    with sites(routes):
        run = scrape(scope="base", target="EUR")

    assert run.status == RunStatus.SUCCEEDED
    assert run.rates_quarantined == 1
    held = QuarantinedRate.objects.get()
    assert (held.source_id, held.rate) == ("open_er_api", Decimal("10.8"))
    assert "USD" not in stored("open_er_api")
    assert rate_for("EUR", "USD").rate == Decimal("1.09")


@pytest.mark.long  # a whole-stack run of 10 s or more; `make reliability` runs it
def test_targets_no_multi_pair_source_gave_are_asked_of_single_pair_sources(sites):
    routes = {
        "/v6/latest/EUR": open_er_api("EUR", {"USD": "1.08", "JPY": "167.4", "GBP": "0.86"}),
        "/daily/eur.json": FAIL,
        "/gateway/v1/price": wise("EUR", "CHF", "0.9412"),
    }
    with sites(routes) as server:
        run = scrape(scope="base", target="EUR")

    assert run.status == RunStatus.SUCCEEDED
    assert [(a["source"], a["outcome"]) for a in run.attempts] == [
        ("open_er_api", "ok"),
        ("floatrates", "failed"),
        ("wise", "ok"),
    ]
    assert run.attempts[2]["targets"] == ["CHF"]
    assert "/gateway/v1/price?sourceCurrency=EUR&targetCurrency=CHF&targetAmount=1000" in paths(
        server
    )
    assert ExchangeRate.objects.get(source="wise").rate == Decimal("0.9412")
    assert run.rates_derived == 0


@pytest.mark.long  # a whole-stack run of 10 s or more; `make reliability` runs it
def test_a_scrape_that_finds_nothing_new_still_succeeds(sites):
    routes = {"/v6/latest/EUR": open_er_api("EUR", ALL), "/daily/eur.json": FAIL}
    with sites(routes):
        scrape(scope="base", target="EUR")
        again = scrape(scope="base", target="EUR")

    assert (again.status, again.rates_stored) == (RunStatus.SUCCEEDED, 0)
