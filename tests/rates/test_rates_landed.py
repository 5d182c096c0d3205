"""rates.signals.rates_landed: sent after a write commits, with the pairs whose rate changed."""

from decimal import Decimal

import pytest
from django.db import transaction

from rates.signals import rates_landed


@pytest.fixture
def landed():
    heard = []

    def listen(sender, *, source, changes, **kwargs):
        heard.append((source, {pair: row.rate for pair, row in changes.items()}))

    rates_landed.connect(listen)
    yield heard
    rates_landed.disconnect(listen)


def test_sent_after_commit_with_the_changed_pairs(
    store, landed, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        store(
            "ecb",
            ("EUR", "USD", "1.1", "2026-01-05T16:00"),
            ("EUR", "GBP", "0.8", "2026-01-05T16:00"),
        )
        assert landed == []  # not before the commit
    with django_capture_on_commit_callbacks(execute=True):
        store(
            "ecb",
            ("EUR", "USD", "1.2", "2026-01-06T16:00"),
            ("EUR", "GBP", "0.8", "2026-01-06T16:00"),
        )
    # The second write re-sent EUR/GBP at the same rate: only EUR/USD changed.
    assert landed == [
        ("ecb", {("EUR", "USD"): Decimal("1.1"), ("EUR", "GBP"): Decimal("0.8")}),
        ("ecb", {("EUR", "USD"): Decimal("1.2")}),
    ]


def test_never_sent_for_a_rolled_back_write(store, landed, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        store("ecb", ("EUR", "USD", "1.1", "2026-01-05T16:00"))
        transaction.set_rollback(True)
    assert landed == []


def test_a_late_observation_of_an_older_instant_changes_nothing(
    store, landed, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        store("ecb", ("EUR", "USD", "1.2", "2026-01-06T16:00"))
        store("ecb", ("EUR", "USD", "1.0", "2026-01-01T16:00"))  # a back-fill
    assert landed == [("ecb", {("EUR", "USD"): Decimal("1.2")})]


def test_a_failing_listener_never_breaks_the_write(store, django_capture_on_commit_callbacks):
    def broken(sender, **kwargs):
        raise RuntimeError("listener down")

    rates_landed.connect(broken)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            result = store("ecb", ("EUR", "USD", "1.1", "2026-01-05T16:00"))
    finally:
        rates_landed.disconnect(broken)
    assert result.written == 1
