"""What a read costs the database: statements per call and per HTTP miss, and the catalog held in
memory (rates.reads.catalog) — reused while nothing changes, dropped as soon as anything does."""

from datetime import UTC, datetime

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from rates import cache as versions
from rates.models import Currency
from rates.reads import (
    active_codes,
    currency_digits,
    currency_names,
    history,
    known_codes,
    rate_for,
    rates_for_base,
    require_known,
)
from rates.types import RatePath

TARGETS = ["AUD", "CAD", "CHF", "CNY", "GBP", "HKD", "JPY", "NOK", "NZD", "SEK", "USD"]


@pytest.fixture
def quoted(store):
    """EUR quoted against TARGETS by the ECB (USD by alpha too); GBP→JPY only through a pivot."""
    day = "2024-01-02T16:00"
    store("ecb", *[("EUR", t, f"1.{n}", day) for n, t in enumerate(TARGETS, start=1)])
    store("alpha", ("EUR", "USD", "1.12", day), ("USD", "ZAR", "18.5", day))
    active_codes()  # the catalog is held from here on, as in a running process


def statements(call) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        call()
    return [query["sql"] for query in captured.captured_queries]


def test_catalog_lookups_cost_no_statement_once_held(quoted):
    assert statements(active_codes) == []
    assert statements(lambda: known_codes(["EUR", "XYZ", "e\x00"])) == []
    assert statements(lambda: currency_digits(["JPY", "USD"])) == []
    assert statements(lambda: currency_names(include_inactive=True)) == []
    assert statements(lambda: require_known(["EUR", "USD"])) == []
    assert known_codes(["EUR", "XYZ", "e\x00"]) == {"EUR"}
    assert currency_digits(["JPY", "USD", "XYZ"]) == {"JPY": (0, 0), "USD": (2, 0)}


@pytest.mark.parametrize(
    ("base", "target", "path"),
    [("EUR", "USD", RatePath.DIRECT), ("USD", "EUR", RatePath.INVERSE), ("GBP", "JPY", "cross")],
)
def test_a_latest_pair_is_one_statement_whatever_answers_it(quoted, base, target, path):
    sql = statements(lambda: rate_for(base, target))

    assert len(sql) == 1
    assert rate_for(base, target).path == path


def test_a_base_every_target_is_quoted_from_is_one_statement(quoted):
    sql = statements(lambda: rates_for_base("EUR", targets=TARGETS))

    assert len(sql) == 1
    assert set(rates_for_base("EUR", targets=TARGETS)) == set(TARGETS)


def test_a_whole_base_is_two_statements(quoted):
    """The base's own rows, then the rows of the targets nothing quotes from it (and the
    pivots' legs to them); unknown codes are checked against the held catalog."""
    sql = statements(lambda: rates_for_base("USD"))

    assert len(sql) == 2
    found = rates_for_base("USD")
    paths = {t: (found[t].path, found[t].via) for t in ("EUR", "ZAR", "JPY")}
    assert paths == {"EUR": ("inverse", None), "ZAR": ("direct", None), "JPY": ("cross", "EUR")}


def test_a_whole_base_reads_the_pivots_only_when_a_target_needs_them(store):
    store("ecb", *[("EUR", t, "2", "2024-01-02T16:00") for t in active_codes() if t != "EUR"])
    active_codes()

    [sql] = statements(lambda: rates_for_base("EUR"))

    assert "ANY('{EUR}'::text[])" in sql  # the base's rows alone: no target needs a pivot's


def test_a_directly_quoted_history_is_one_statement(quoted):
    start, end = datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 1, 3, tzinfo=UTC)

    assert len(statements(lambda: history("EUR", "USD", start, end))) == 1
    assert len(statements(lambda: history("USD", "EUR", start, end))) == 2  # inverse, crosses


def miss(client, django_capture_on_commit_callbacks, url: str) -> list[str]:
    """The statements of a request whose answer is not cached (a write to its bases since)."""
    assert client.get(url).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        versions.bump_on_commit(["EUR", "USD", "GBP", "JPY"])
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return [query["sql"] for query in captured.captured_queries]


@pytest.mark.parametrize(
    ("url", "count"),
    [
        ("/api/v1/rates/?base=EUR&target=USD", 1),
        ("/api/v1/rates/?base=GBP&target=JPY", 1),
        ("/api/v1/rates/?base=EUR&target=USD&amount=10", 1),
        ("/api/v1/rates/?base=USD", 2),
        ("/api/v1/rates/history/?base=EUR&target=USD&start=2024-01-01&end=2024-01-10", 1),
    ],
)
def test_http_misses_cost_one_or_two_statements(
    client, quoted, django_capture_on_commit_callbacks, url, count
):
    assert len(miss(client, django_capture_on_commit_callbacks, url)) == count


def test_an_edit_in_this_process_is_seen_at_once_even_before_it_commits(quoted):
    assert "NOK" in active_codes()
    nok = Currency.objects.get(code="NOK")
    nok.active = False

    nok.save()  # as the admin's form does; its transaction has not committed

    assert "NOK" not in active_codes()
    assert "NOK" not in rates_for_base("EUR")


def test_an_edit_in_another_process_is_seen_once_it_commits(quoted):
    Currency.objects.filter(code="JPY").update(decimal_digits=3)  # no signal in this process
    assert currency_digits(["JPY"]) == {"JPY": (0, 0)}  # the catalog held is used...

    versions._bump([], catalog=True)  # ...until the editing process's commit replaces the token

    assert currency_digits(["JPY"]) == {"JPY": (3, 0)}


def test_a_lost_token_reads_the_catalog_again(quoted):
    Currency.objects.filter(code="JPY").update(name="Yen (edited)")
    assert currency_names()["JPY"] == "Japanese Yen"

    cache.delete(versions.CATALOG_TOKEN)  # evicted: a new token, never an old one again

    assert currency_names()["JPY"] == "Yen (edited)"


def test_an_admin_edit_changes_http_answers_at_once(
    client, quoted, django_capture_on_commit_callbacks
):
    url = "/api/v1/rates/?base=EUR"
    assert "NOK" in [r["target"] for r in client.get(url).json()["rates"]]

    nok = Currency.objects.get(code="NOK")
    nok.active = False
    with django_capture_on_commit_callbacks(execute=True):
        nok.save()

    assert "NOK" not in [r["target"] for r in client.get(url).json()["rates"]]


def test_without_redis_the_catalog_is_read_every_time(quoted, monkeypatch):
    from redis.exceptions import ConnectionError as RedisDown

    def down(*args, **kwargs):
        raise RedisDown("refused")

    Currency.objects.filter(code="JPY").update(decimal_digits=3)  # no signal in this process
    with monkeypatch.context() as patched:
        patched.setattr(cache.client, "get_client", down)

        assert currency_digits(["JPY"]) == {"JPY": (3, 0)}
