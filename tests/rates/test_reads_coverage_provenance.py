"""rates.reads.coverage_by_currency (every currency's days and sources, in two reads) and
rates.reads.history_sources (the sources behind a history, in one query)."""

from datetime import UTC, date, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from rates.exceptions import InvalidQuery
from rates.reads import coverage_by_currency, history, history_sources
from rates.types import Interval

START = datetime(2024, 1, 1, tzinfo=UTC)
END = datetime(2024, 2, 1, tzinfo=UTC)


@pytest.fixture
def quotes(store):
    store(
        "ecb", ("EUR", "USD", "1.1", "2024-01-02T16:00"), ("EUR", "USD", "1.2", "2024-01-09T16:00")
    )
    store(
        "alpha",
        ("USD", "JPY", "150", "2024-01-05T16:00"),
        ("EUR", "USD", "1.15", "2024-01-10T16:00"),
    )
    store("beta", ("USD", "EUR", "0.9", "2023-12-20T16:00"))


def test_coverage_by_currency(quotes):
    found = coverage_by_currency()

    assert found["USD"] == (date(2023, 12, 20), date(2024, 1, 10), ["alpha", "beta", "ecb"])
    assert found["JPY"] == (date(2024, 1, 5), date(2024, 1, 5), ["alpha"])
    assert "CHF" not in found


def test_coverage_by_currency_is_two_reads_then_one(quotes, store):
    with CaptureQueriesContext(connection) as first:
        coverage_by_currency()
    store("ecb", *[("EUR", c, "2", "2024-01-09T16:00") for c in ("CHF", "GBP", "SEK", "NOK")])
    with CaptureQueriesContext(connection) as more:
        found = coverage_by_currency()  # new currencies: the first days are read again
    with CaptureQueriesContext(connection) as held:
        coverage_by_currency()

    assert found["SEK"] == (date(2024, 1, 9), date(2024, 1, 9), ["ecb"])
    assert (len(first), len(more), len(held)) == (2, 2, 1)


def test_history_sources_of_a_direct_history(quotes):
    found = history("EUR", "USD", START, END)

    assert history_sources(found, START, END) == {"ecb": 2, "alpha": 1}


def test_history_sources_of_an_inverse_history_count_the_stored_pair(quotes):
    found = history("USD", "EUR", START, END)

    assert found.path == "inverse"  # beta quotes USD→EUR itself, but before START
    assert history_sources(found, START, END) == {"ecb": 2, "alpha": 1}


def test_history_sources_of_a_cross_history_count_both_legs(quotes):
    found = history("EUR", "JPY", START, END, Interval.MONTH)  # one bucket both legs share

    assert (found.path, found.via) == ("cross", "USD")
    assert history_sources(found, START, END) == {"ecb": 2, "alpha": 2}


def test_history_sources_needs_aware_bounds(quotes):
    found = history("EUR", "USD", START, END)

    with pytest.raises(InvalidQuery):
        history_sources(found, START.replace(tzinfo=None), END)
