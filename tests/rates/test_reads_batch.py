"""rates_for_bases: many bases at once give each base the answers rates_for_base gives it
(direct, inverse, cross; latest and at an instant), in a constant number of statements."""

from datetime import UTC, datetime

import pytest

from rates.exceptions import InvalidQuery, UnknownCurrency
from rates.reads import active_codes, rates_for_base, rates_for_bases, rates_for_bases_at
from rates.types import RatePath

MON, TUE = "2026-01-05T16:00", "2026-01-06T16:00"
CODES = ["EUR", "USD", "GBP", "JPY", "CHF", "CAD", "ZAR"]


@pytest.fixture
def quoted(store):
    """EUR quoted by three sources (a blend), USD→CAD and USD→ZAR by one, CHF only as CHF→EUR
    (EUR→CHF is an inverse), GBP→JPY only through a pivot; two days, so Monday is a past instant."""
    for day, bump in ((MON, "0"), (TUE, "5")):
        store(
            "ecb",
            ("EUR", "USD", f"1.1{bump}", day),
            ("EUR", "GBP", f"0.8{bump}", day),
            ("EUR", "JPY", f"16{bump}", day),
            ("CHF", "EUR", f"1.0{bump}", day),
        )
        store("alpha", ("EUR", "USD", f"1.12{bump}", day), ("USD", "CAD", f"1.3{bump}", day))
        store("beta", ("EUR", "USD", f"1.13{bump}", day), ("USD", "ZAR", f"18.{bump}", day))
    active_codes()  # the catalog is held, as in a running process


def one_by_one(wanted, at=None):
    return {base: rates_for_base(base, targets=targets, at=at) for base, targets in wanted.items()}


EVERY = {base: CODES for base in CODES}


def test_latest_answers_equal_rates_for_base_for_each_base(quoted):
    found = rates_for_bases(EVERY)
    assert found == one_by_one(EVERY)
    paths = {answer.path for answers in found.values() for answer in answers.values()}
    assert paths == {RatePath.DIRECT, RatePath.INVERSE, RatePath.CROSS}
    assert len(found["EUR"]["USD"].sources) > 1  # a blend
    assert found["GBP"]["JPY"].path == RatePath.CROSS
    assert found["EUR"]["CHF"].path == RatePath.INVERSE
    assert "EUR" not in found["EUR"]  # the base itself is left out, as rates_for_base does


def test_answers_at_an_instant_equal_rates_for_base_for_each_base(quoted):
    monday = datetime(2026, 1, 5, 20, tzinfo=UTC)
    found = rates_for_bases(EVERY, at=monday)
    assert found == one_by_one(EVERY, monday)
    assert format(found["EUR"]["USD"].rate, "f") == "1.10"  # Monday's, the ECB first by priority
    assert {a.path for answers in found.values() for a in answers.values()} == set(RatePath)


def test_several_instants_in_one_call_answer_each_instant(quoted):
    monday, tuesday = datetime(2026, 1, 5, 20, tzinfo=UTC), datetime(2026, 1, 6, 20, tzinfo=UTC)
    wanted = {"GBP": ["JPY", "CHF"], "EUR": ["USD"]}
    found = rates_for_bases_at({monday: wanted, tuesday: {"CAD": ["ZAR"]}})
    assert found[monday] == one_by_one(wanted, monday)
    assert found[tuesday] == one_by_one({"CAD": ["ZAR"]}, tuesday)
    before = datetime(2025, 12, 1, tzinfo=UTC)  # before any observation: nothing in force
    assert rates_for_bases({"EUR": ["USD"]}, at=before) == {"EUR": {}}


def test_unknown_codes_and_naive_instants_are_refused(quoted):
    with pytest.raises(UnknownCurrency, match="XXQ"):
        rates_for_bases({"EUR": ["USD", "XXQ"]})
    with pytest.raises(InvalidQuery):
        rates_for_bases({"EUR": ["USD"]}, at=datetime(2026, 1, 5))  # noqa: DTZ001 (naive on purpose)


@pytest.fixture
def many_bases(store):
    """Forty-one currencies, each quoted from EUR: any pair of two of them is a cross via EUR."""
    codes = [c for c in active_codes() if c not in ("EUR", "USD")][:41]
    store("ecb", *[("EUR", c, f"1.{n}", day) for n, c in enumerate(codes) for day in (MON, TUE)])
    active_codes()
    return codes


@pytest.mark.parametrize("count", [2, 40])
def test_statements_do_not_grow_with_the_bases(many_bases, count, django_assert_max_num_queries):
    wanted = {base: many_bases[count:] for base in many_bases[:count]}
    # Every pair here is a cross via EUR: the pairs both ways, then their legs.
    with django_assert_max_num_queries(2):
        latest = rates_for_bases(wanted)
    monday, tuesday = datetime(2026, 1, 5, 20, tzinfo=UTC), datetime(2026, 1, 6, 20, tzinfo=UTC)
    with django_assert_max_num_queries(2):
        past = rates_for_bases_at({monday: wanted, tuesday: wanted})
    assert sum(len(answers) for answers in latest.values()) == count * (41 - count)
    assert past[monday] == one_by_one(wanted, monday)
    assert latest == one_by_one(wanted)
