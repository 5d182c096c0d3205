from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from rates.exceptions import InvalidRateBatch
from rates.ingest.acceptance import quarantine_approve, quarantine_reject, rates_accept
from rates.models import ExchangeRate, QuarantinedRate, QuarantineStatus
from rates.reads import active_codes, rate_for


@pytest.fixture
def accept(store, rate_row):
    """accept("alpha", ("EUR", "USD", "1.1", "2024-01-03T16:00"), ...) through rates_accept."""

    def run(source, *specs):
        return rates_accept(source=source, rows=[rate_row(*spec) for spec in specs])

    return run


@pytest.fixture
def eur_usd(store):
    store("ecb", ("EUR", "USD", "1.10", "2024-01-02T16:00"))


def published(base="EUR", target="USD") -> list[tuple[str, Decimal]]:
    rows = ExchangeRate.objects.filter(base=base, target=target).order_by("observed_at")
    return [(row.source_id, row.rate) for row in rows]


def test_rate_within_band_is_published(eur_usd, accept):
    result = accept("alpha", ("EUR", "USD", "1.3", "2024-01-03T16:00"))  # +18%

    assert (result.written, result.quarantined) == (1, 0)
    assert rate_for("EUR", "USD").rate == Decimal("1.3")


def test_absurd_rate_is_held_with_its_reason_and_not_published(eur_usd, accept):
    result = accept(
        "alpha",
        ("EUR", "USD", "11.0", "2024-01-03T16:00"),
        ("EUR", "JPY", "160", "2024-01-03T16:00"),
    )

    assert (result.received, result.written, result.quarantined) == (2, 1, 1)
    assert result.held == {("EUR", "USD")}
    assert published() == [("ecb", Decimal("1.10"))]
    assert rate_for("EUR", "USD").rate == Decimal("1.10")  # last good rate served
    [held] = QuarantinedRate.objects.all()
    assert (held.source_id, held.rate, held.reference_rate, held.status) == (
        "alpha",
        Decimal("11.0"),
        Decimal("1.10"),
        QuarantineStatus.HELD,
    )
    assert held.reason.startswith("+900.0% from the last stored rate 1.10 (band ±20%)")


def test_band_is_checked_against_the_inverse_when_only_that_is_stored(store, accept):
    store("ecb", ("USD", "EUR", "0.5", "2024-01-02T16:00"))  # so 1 EUR = 2 USD

    assert accept("alpha", ("EUR", "USD", "2.1", "2024-01-03")).quarantined == 0
    assert accept("beta", ("EUR", "USD", "0.5", "2024-01-03")).quarantined == 1


def test_a_new_pair_has_nothing_to_compare_with_and_is_published(accept, currencies, sources):
    assert accept("alpha", ("EUR", "USD", "123", "2024-01-03")).quarantined == 0


def test_second_source_confirming_releases_the_held_rate(eur_usd, accept):
    accept("alpha", ("EUR", "USD", "2.00", "2024-01-03T16:00"))

    result = accept("beta", ("EUR", "USD", "2.02", "2024-01-03T17:00"))

    assert (result.written, result.quarantined, result.released) == (2, 0, 1)
    assert published() == [
        ("ecb", Decimal("1.10")),
        ("alpha", Decimal("2.00")),
        ("beta", Decimal("2.02")),
    ]
    held = QuarantinedRate.objects.get()
    assert (held.status, held.resolved_by) == (QuarantineStatus.RELEASED, "confirmed by beta")


def test_same_source_repeating_itself_does_not_confirm(eur_usd, accept):
    accept("alpha", ("EUR", "USD", "2.00", "2024-01-03T16:00"))
    accept("alpha", ("EUR", "USD", "2.01", "2024-01-04T16:00"))

    [held] = QuarantinedRate.objects.all()  # one held row per pair and source, updated
    assert (held.rate, held.status) == (Decimal("2.01"), QuarantineStatus.HELD)
    assert published() == [("ecb", Decimal("1.10"))]


def test_disagreeing_second_source_is_held_too(eur_usd, accept):
    accept("alpha", ("EUR", "USD", "2.00", "2024-01-03T16:00"))
    accept("beta", ("EUR", "USD", "5.00", "2024-01-03T16:00"))

    assert QuarantinedRate.objects.filter(status=QuarantineStatus.HELD).count() == 2
    assert published() == [("ecb", Decimal("1.10"))]


def test_admin_approval_publishes_and_rejection_discards(eur_usd, accept):
    accept("alpha", ("EUR", "USD", "2.00", "2024-01-03T16:00"), ("EUR", "JPY", "1", "2024-01-03"))
    assert not QuarantinedRate.objects.filter(target="JPY").exists()  # new pair: published
    usd = QuarantinedRate.objects.get(target="USD")

    assert quarantine_approve([usd.id], by="admin") == 1
    assert published()[-1] == ("alpha", Decimal("2.00"))
    usd.refresh_from_db()
    assert (usd.status, usd.resolved_by) == (QuarantineStatus.RELEASED, "admin")
    assert quarantine_approve([usd.id], by="admin") == 0  # only held rates are released
    assert quarantine_reject([usd.id], by="admin") == 0


def test_rejected_rate_is_never_published(eur_usd, accept):
    accept("alpha", ("EUR", "USD", "2.00", "2024-01-03T16:00"))
    held = QuarantinedRate.objects.get()

    assert quarantine_reject([held.id], by="admin") == 1
    accept("beta", ("EUR", "USD", "2.00", "2024-01-04T16:00"))  # agrees, but nothing is held now

    assert published() == [("ecb", Decimal("1.10"))]
    assert QuarantinedRate.objects.filter(status=QuarantineStatus.HELD).count() == 1  # beta's


def test_bad_row_rejects_the_whole_batch_before_any_check(eur_usd, accept):
    with pytest.raises(InvalidRateBatch):
        accept("alpha", ("EUR", "USD", "11", "2024-01-03"), ("EUR", "XXQ", "1", "2024-01-03"))

    assert not QuarantinedRate.objects.exists()


def test_with_drop_invalid_bad_rows_are_left_out_with_their_reason(eur_usd, accept, rate_row):
    rows = [
        rate_row("EUR", "USD", "1.11", "2024-01-03"),
        rate_row("EUR", "BTC", "0.00001", "2024-01-03"),  # a coin a site lists
        rate_row("EUR", "JPY", "0", "2024-01-03"),
    ]

    result = rates_accept(source="alpha", rows=rows, drop_invalid=True)

    assert (result.received, result.written, result.quarantined) == (3, 1, 0)
    assert [str(error) for error in result.rejected] == [
        "row 1: target: unknown currency 'BTC'",
        "row 2: rate: 0 is not positive",
    ]
    assert result.published == {("EUR", "USD")}
    assert published() == [("ecb", Decimal("1.10")), ("alpha", Decimal("1.11"))]
    assert not ExchangeRate.objects.filter(target__in=["BTC", "JPY"]).exists()


def test_published_by_base_leaves_out_held_pairs(eur_usd, accept):
    result = accept(
        "alpha",
        ("EUR", "USD", "11.0", "2024-01-03T16:00"),
        ("EUR", "JPY", "160", "2024-01-03T16:00"),
        ("EUR", "GBP", "0.86", "2024-01-03T16:00"),
    )

    assert result.published_by_base() == {"EUR": ["GBP", "JPY"]}


def test_rows_are_validated_once_on_the_way_in(eur_usd, accept):
    active_codes()  # the readers' catalog is held from here on, as in a running process
    with CaptureQueriesContext(connection) as queries:
        accept("alpha", ("EUR", "USD", "1.11", "2024-01-03"), ("EUR", "JPY", "160", "2024-01-03"))

    # The validation reads the known codes once; the write that follows trusts its ValidRows.
    code_reads = [q for q in queries.captured_queries if 'FROM "rates_currency"' in q["sql"]]
    assert len(code_reads) == 1


# --- Stale quotes (docs/reliability.md, "1. Source faults": a site showing a year-old page) ---


def test_scraped_rate_far_older_than_the_pairs_newest_is_rejected_as_stale(eur_usd, rate_row):
    rows = [
        rate_row("EUR", "USD", "1.05", "2023-01-02T16:00"),  # a year before the stored 1.10
        rate_row("EUR", "JPY", "160", "2023-01-02T16:00"),  # a new pair: nothing to compare
    ]
    result = rates_accept(source="alpha", rows=rows, drop_invalid=True)

    assert (result.received, result.written) == (2, 1)
    [error] = result.rejected
    assert (error.index, error.field) == (0, "observed_at")
    assert "more than 14 days before the pair's newest stored rate (2024-01-02)" in error.message
    assert published() == [("ecb", Decimal("1.10"))]


def test_a_rate_within_the_stale_limit_is_kept(eur_usd, rate_row, settings):
    settings.KOEL_STALE_QUOTE_DAYS = 3
    rows = [rate_row("EUR", "USD", "1.09", "2023-12-31T16:00")]  # 2 days before the stored one

    result = rates_accept(source="alpha", rows=rows, drop_invalid=True)

    assert (result.written, result.rejected) == (1, ())
