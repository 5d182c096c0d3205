"""The latest read answers a pair from the freshest evidence: a source's quote of the pair itself
wins, unless every such quote is dated (UTC day) before the newest quote of the opposite pair;
then that inverse answers, marked derived (docs/reliability.md, section 1:
bank_of_canada quotes X→CAD, the aggregators only CAD→X). The same answer from every latest
read: a pair, a whole base, many bases at once."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from rates.reads import active_codes, rate_for, rates_for_base, rates_for_bases
from rates.types import RatePath

YESTERDAY, MORNING, TODAY = "2026-01-05T16:00", "2026-01-06T12:00", "2026-01-06T16:00"

READS = {
    "pair": lambda base, target: rate_for(base, target),
    # No targets: every active currency, the many-targets path (its first read is the base's).
    "base": lambda base, target: rates_for_base(base)[target],
    "bases": lambda base, target: rates_for_bases({base: active_codes()})[base][target],
}


@pytest.fixture(params=list(READS))
def read(request):
    return READS[request.param]


def quoted(store, direct: str, inverse: str) -> None:
    """ISK→CAD quoted by alpha only (as bank_of_canada), CAD→ISK by beta only (an aggregator):
    nothing else is quoted from ISK since alpha's quote (a scrape of the primary bases)."""
    store("alpha", ("ISK", "CAD", "0.0098", direct))
    store("beta", ("CAD", "ISK", "100", inverse))
    active_codes()  # the catalog is held, as in a running process


def test_yesterdays_direct_quote_gives_way_to_todays_inverse(store, read):
    quoted(store, direct=YESTERDAY, inverse=TODAY)

    answer = read("ISK", "CAD")

    assert (answer.rate, answer.path, answer.derived) == (
        Decimal("0.01"),
        RatePath.INVERSE,
        True,
    )
    assert (answer.sources, answer.observed_at.isoformat()) == (("beta",), f"{TODAY}:00+00:00")
    # The day-old direct quote is still listed, left out with the reason.
    old = [q for q in answer.quotes if q.source == "alpha"]
    assert [(q.excluded, q.inverse, q.reason) for q in old] == [
        (True, False, "dated before the opposite pair's quotes of 2026-01-06")
    ]
    assert read("CAD", "ISK").path == RatePath.DIRECT  # the opposite pair is beta's own quote


@pytest.mark.parametrize("direct", [MORNING, TODAY], ids=["within-the-window", "same-instant"])
def test_todays_direct_quote_beats_todays_inverse(store, read, direct):
    quoted(store, direct=direct, inverse=TODAY)

    answer = read("ISK", "CAD")

    assert (answer.rate, answer.path, answer.derived) == (Decimal("0.0098"), "direct", False)
    assert answer.sources == ("alpha",)
    assert [q.source for q in answer.quotes] == ["alpha"]  # no inverse gathered beside it


@pytest.mark.parametrize(
    ("direct", "inverse", "path"),
    [
        ("2026-01-05T23:30", "2026-01-06T00:30", "inverse"),  # an hour apart, the day before
        ("2026-01-06T00:30", "2026-01-06T23:30", "direct"),  # 23 h apart, the same day
    ],
)
def test_the_rate_date_decides(store, read, direct, inverse, path):
    """By UTC day, as a rate is dated (the central banks publish one a day, in the afternoon;
    the daily aggregators date theirs at midnight)."""
    quoted(store, direct=direct, inverse=inverse)

    assert read("ISK", "CAD").path == path


def test_a_source_quoting_both_ways_gives_its_newer_quote(store, read):
    store("alpha", ("ISK", "CAD", "0.0098", YESTERDAY))
    store("alpha", ("CAD", "ISK", "100", TODAY))
    active_codes()

    answer = read("ISK", "CAD")

    assert (answer.rate, answer.path, answer.derived) == (Decimal("0.01"), "inverse", True)
    assert [(q.source, q.inverse) for q in answer.quotes] == [("alpha", True)]


def test_a_pinned_source_keeps_its_own_direct_quote(store):
    quoted(store, direct=YESTERDAY, inverse=TODAY)

    answer = rate_for("ISK", "CAD", source="alpha")

    assert (answer.rate, answer.path, answer.sources) == (Decimal("0.0098"), "direct", ("alpha",))


def test_every_latest_read_gives_the_same_answers(store):
    quoted(store, direct=YESTERDAY, inverse=TODAY)
    store("ecb", ("EUR", "ISK", "150", TODAY), ("EUR", "CAD", "1.5", TODAY))
    codes = active_codes()

    whole = rates_for_base("ISK")
    batch = rates_for_bases({"ISK": codes, "CAD": codes})

    assert batch["ISK"] == whole
    assert batch["CAD"] == rates_for_base("CAD")
    assert whole["CAD"] == rate_for("ISK", "CAD")
    assert whole["CAD"].path == RatePath.INVERSE


TARGETS = ["AUD", "CHF", "CNY", "GBP", "HKD", "JPY", "NOK", "NZD", "SEK", "USD"]


def statements(call) -> int:
    with CaptureQueriesContext(connection) as captured:
        call()
    return len(captured.captured_queries)


def test_a_base_reads_the_opposite_rows_only_of_pairs_quoted_too_long_ago(store):
    """Every target quoted from the base today: one statement. One quoted a day before the
    newest observation: one more, for that target's rows, and its newer inverse answers."""
    store("ecb", *[("EUR", t, f"1.{n}", TODAY) for n, t in enumerate(TARGETS, start=1)])
    active_codes()
    assert statements(lambda: rates_for_base("EUR", targets=TARGETS)) == 1

    store("alpha", ("EUR", "ISK", "140", YESTERDAY))
    store("beta", ("ISK", "EUR", "0.00625", TODAY))
    targets = [*TARGETS, "ISK"]
    assert statements(lambda: rates_for_base("EUR", targets=targets)) == 2
    answer = rates_for_base("EUR", targets=targets)["ISK"]
    assert (answer.rate, answer.path, answer.sources) == (Decimal(160), "inverse", ("beta",))
