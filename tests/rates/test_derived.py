"""Derived rates (rates.ingest.derived): computed from the quotes held, then validated and
quarantined like scraped ones, under Koel's own source."""

from decimal import Decimal

from rates.ingest.acceptance import DERIVED_SOURCE, quarantine_approve
from rates.ingest.derived import rates_derive
from rates.models import ExchangeRate, QuarantinedRate, QuarantineStatus


def koel_rows() -> list[tuple]:
    rows = ExchangeRate.objects.filter(source=DERIVED_SOURCE).order_by(
        "base", "target", "observed_at"
    )
    return [(r.base_id, r.target_id, r.rate, r.derived) for r in rows]


def test_a_cross_rate_through_a_pivot_is_published_as_derived(store):
    store("ecb", ("EUR", "USD", "1.10", "2024-01-02T16:00"))
    store("alpha", ("USD", "CHF", "0.80", "2024-01-02T12:00"))

    result = rates_derive(missing={"EUR": ["CHF"]})

    assert (result.written, result.quarantined) == (1, 0)
    assert result.published_by_base() == {"EUR": ["CHF"]}
    assert koel_rows() == [("EUR", "CHF", Decimal("0.880"), True)]
    [row] = ExchangeRate.objects.filter(source=DERIVED_SOURCE)
    assert row.observed_at.hour == 12  # the older leg's instant


def test_an_inverse_is_derived_and_a_pair_nothing_gives_is_left_out(store):
    store("ecb", ("USD", "JPY", "150", "2024-01-02T16:00"))

    result = rates_derive(missing={"JPY": ["USD", "CHF"]})

    assert result.published == {("JPY", "USD")}
    [(base, target, rate, derived)] = koel_rows()
    assert (base, target, derived) == ("JPY", "USD", True)
    assert rate == Decimal("0.00666666666666666667")  # 1/150 to the 18 digits of a derived rate


def test_a_pair_a_source_quotes_directly_is_not_derived(store):
    store("ecb", ("EUR", "USD", "1.10", "2024-01-02T16:00"))

    assert rates_derive(missing={"EUR": ["USD"]}).received == 0
    assert koel_rows() == []


def test_a_later_run_derives_from_the_new_quotes_not_from_its_own_earlier_rate(store):
    store("ecb", ("EUR", "USD", "1.10", "2024-01-02T16:00"))
    store("alpha", ("USD", "CHF", "0.80", "2024-01-02T16:00"))
    rates_derive(missing={"EUR": ["CHF"]})
    store("ecb", ("EUR", "USD", "1.20", "2024-01-03T16:00"))
    store("alpha", ("USD", "CHF", "0.81", "2024-01-03T16:00"))

    rates_derive(missing={"EUR": ["CHF"]})

    assert [rate for *_, rate, _derived in koel_rows()] == [Decimal("0.880"), Decimal("0.972")]


def test_a_derived_rate_far_from_the_last_one_is_held_and_released_as_derived(store):
    store("ecb", ("EUR", "USD", "1.10", "2024-01-02T16:00"))
    store("alpha", ("USD", "CHF", "0.80", "2024-01-02T16:00"))
    rates_derive(missing={"EUR": ["CHF"]})
    store("alpha", ("USD", "CHF", "8.0", "2024-01-03T16:00"))  # a leg moved tenfold

    result = rates_derive(missing={"EUR": ["CHF"]})

    assert (result.written, result.quarantined, result.held) == (0, 1, {("EUR", "CHF")})
    held = QuarantinedRate.objects.get(source=DERIVED_SOURCE)
    assert (held.rate, held.status) == (Decimal("8.80"), QuarantineStatus.HELD)
    assert quarantine_approve([held.id], by="admin") == 1
    assert koel_rows()[-1] == ("EUR", "CHF", Decimal("8.80"), True)
