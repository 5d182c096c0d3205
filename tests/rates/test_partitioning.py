import calendar
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from psqlextra.partitioning import PostgresPartitioningManager, PostgresTimePartitionSize
from psqlextra.partitioning.config import PostgresPartitioningConfig

from rates import table
from rates.ingest import partitions as partitioning
from rates.ingest.partitions import (
    MonthlyUtcStrategy,
    manager,
    partitions_ensure,
    partitions_maintain,
)
from rates.models import ExchangeRate
from rates.table import existing_partitions

pytestmark = pytest.mark.django_db

DEFAULT = "rates_exchangerate_default"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def bounds(start: str, end: str) -> str:
    return f"FOR VALUES FROM ('{start} 00:00:00+00') TO ('{end} 00:00:00+00')"


def name_months_from_now(offset: int) -> str:
    """Partition name of the month `offset` months from today's (UTC), computed by hand."""
    today = datetime.now(UTC)
    index = today.year * 12 + today.month - 1 + offset
    return f"rates_exchangerate_{index // 12}_{calendar.month_abbr[index % 12 + 1].lower()}"


def partition_holding(base: str, target: str, observed_at: datetime) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tableoid::regclass::text FROM rates_exchangerate"
            " WHERE base_id = %s AND target_id = %s AND observed_at = %s",
            [base, target, observed_at],
        )
        return cursor.fetchone()[0]


def insert_raw(base: str, target: str, rate: str, observed_at: datetime) -> None:
    # Bypasses rates_upsert, which would create the month's partition first.
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO rates_exchangerate (base_id, target_id, observed_at, source_id, rate,"
            " derived) VALUES (%s, %s, %s, 'ecb', %s, false)",
            [base, target, observed_at, Decimal(rate)],
        )


@pytest.fixture
def known(monkeypatch):
    """A fresh process cache, so that tests which run on-commit callbacks leave no trace."""
    fresh: set[str] = set()
    monkeypatch.setattr(partitioning, "_known", fresh)
    return fresh


def test_partitions_ensure_creates_monthly_partitions_at_midnight_utc():
    created = partitions_ensure([utc(2024, 1, 15, 13, 45), utc(2024, 3, 31, 23, 59)])

    assert created == ["rates_exchangerate_2024_jan", "rates_exchangerate_2024_mar"]
    assert existing_partitions() == {
        DEFAULT: "DEFAULT",
        "rates_exchangerate_2024_jan": bounds("2024-01-01", "2024-02-01"),
        "rates_exchangerate_2024_mar": bounds("2024-03-01", "2024-04-01"),
    }


def test_partitions_ensure_names_partition_after_its_utc_month(store):
    # 2024-02-29 23:00 at UTC-5 is already March in UTC.
    partitions_ensure([datetime(2024, 2, 29, 23, tzinfo=timezone(timedelta(hours=-5)))])
    store("ecb", ("EUR", "USD", "1.1", "2024-02-10T16:00"))

    assert partition_holding("EUR", "USD", utc(2024, 2, 10, 16)) == "rates_exchangerate_2024_feb"
    assert existing_partitions()["rates_exchangerate_2024_mar"] == bounds(
        "2024-03-01", "2024-04-01"
    )


def test_partitions_ensure_skips_existing_partitions():
    partitions_ensure([utc(2024, 1, 1)])

    assert partitions_ensure([utc(2024, 1, 20), utc(2024, 2, 1)]) == ["rates_exchangerate_2024_feb"]
    assert partitions_ensure([utc(2024, 1, 20), utc(2024, 2, 1)]) == []


@pytest.mark.parametrize(
    ("when", "partition"),
    [
        ("2024-01-31T23:59:59.999999+00:00", "rates_exchangerate_2024_jan"),
        ("2024-02-01T00:00:00+00:00", "rates_exchangerate_2024_feb"),
        ("2024-02-01T00:30:00+01:00", "rates_exchangerate_2024_jan"),
        ("2024-01-31T23:30:00-01:00", "rates_exchangerate_2024_feb"),
    ],
)
def test_rows_route_to_their_utc_month_partition(store, when, partition):
    store("ecb", ("EUR", "USD", "1.1", when))

    assert partition_holding("EUR", "USD", datetime.fromisoformat(when)) == partition


def test_default_partition_catches_row_of_month_without_partition(currencies, sources):
    insert_raw("EUR", "USD", "1.2345", utc(2090, 5, 10, 16))

    assert partition_holding("EUR", "USD", utc(2090, 5, 10, 16)) == DEFAULT


def test_creating_month_partition_moves_its_rows_out_of_default(currencies, sources):
    insert_raw("EUR", "USD", "1.2345", utc(2090, 5, 10, 16))
    insert_raw("EUR", "JPY", "0.000012345678901234567", utc(2090, 5, 31, 23, 59))
    insert_raw("EUR", "USD", "1.5", utc(2090, 6, 1))

    assert partitions_ensure([utc(2090, 5, 1)]) == ["rates_exchangerate_2090_may"]

    assert partition_holding("EUR", "USD", utc(2090, 5, 10, 16)) == "rates_exchangerate_2090_may"
    assert partition_holding("EUR", "JPY", utc(2090, 5, 31, 23, 59)) == (
        "rates_exchangerate_2090_may"
    )
    assert partition_holding("EUR", "USD", utc(2090, 6, 1)) == DEFAULT
    stored = ExchangeRate.objects.filter(observed_at__year=2090).order_by("observed_at")
    assert [(r.target_id, str(r.rate)) for r in stored] == [
        ("USD", "1.2345"),
        ("JPY", "0.000012345678901234567"),
        ("USD", "1.5"),
    ]


def test_partitions_ensure_remembers_partitions_only_on_commit(
    known, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        partitions_ensure([utc(2024, 1, 1)])
    assert known == set()  # rolled back, the partition would have to be created again

    for callback in callbacks:
        callback()
    assert known == {"rates_exchangerate_2024_jan"}


def test_partitions_ensure_trusts_known_partitions_without_querying(
    known, django_assert_num_queries
):
    known.add("rates_exchangerate_2024_jan")

    with django_assert_num_queries(0):
        assert partitions_ensure([utc(2024, 1, 9)]) == []


def test_partitions_maintain_creates_last_month_to_months_ahead(settings):
    settings.KOEL_PARTITIONS_AHEAD = 2

    created, dropped = partitions_maintain(now=utc(2024, 6, 15, 10))

    assert created == [
        "rates_exchangerate_2024_may",
        "rates_exchangerate_2024_jun",
        "rates_exchangerate_2024_jul",
        "rates_exchangerate_2024_aug",
    ]
    assert dropped == []


def test_partitions_maintain_drops_months_past_retention(settings, store):
    settings.KOEL_PARTITIONS_AHEAD = 1
    settings.KOEL_RATE_RETENTION_MONTHS = 3
    store("ecb", ("EUR", "USD", "1.1", "2024-01-10T16:00"), ("EUR", "USD", "1.2", "2024-03-01"))
    partitions_ensure([utc(2024, 2, 1), utc(2024, 4, 1)])
    insert_raw("EUR", "USD", "0.9", utc(1990, 1, 1))

    created, dropped = partitions_maintain(now=utc(2024, 6, 15))

    assert created == ["rates_exchangerate_2024_may", "rates_exchangerate_2024_jun",
                       "rates_exchangerate_2024_jul"]  # fmt: skip
    assert dropped == ["rates_exchangerate_2024_feb", "rates_exchangerate_2024_jan"]
    assert "rates_exchangerate_2024_mar" in existing_partitions()
    # Dropping a month drops its rows; the default partition is never touched by retention.
    assert sorted(ExchangeRate.objects.values_list("rate", flat=True)) == [
        Decimal("0.9"),
        Decimal("1.2"),
    ]


def test_partitions_maintain_keeps_every_month_without_retention(settings):
    settings.KOEL_RATE_RETENTION_MONTHS = 0
    partitions_ensure([utc(2000, 1, 1)])

    _, dropped = partitions_maintain(now=utc(2024, 6, 15))

    assert dropped == []
    assert "rates_exchangerate_2000_jan" in existing_partitions()


def test_partitions_maintain_leaves_hand_made_partitions_alone(settings):
    settings.KOEL_RATE_RETENTION_MONTHS = 1
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE rates_exchangerate_archive PARTITION OF rates_exchangerate"
            " FOR VALUES FROM ('1980-01-01 00:00+00') TO ('1981-01-01 00:00+00')"
        )

    _, dropped = partitions_maintain(now=utc(2024, 6, 15))

    assert dropped == []
    assert "rates_exchangerate_archive" in existing_partitions()


def test_partitions_command_reports_what_it_created(settings):
    settings.KOEL_PARTITIONS_AHEAD = 3
    out = StringIO()

    call_command("partitions", stdout=out)

    expected = [f"created {name_months_from_now(offset)}" for offset in range(-1, 4)]
    assert out.getvalue().splitlines() == [*expected, "6 partitions; 5 created, 0 dropped."]


def test_partitions_command_lists_partitions_with_bounds(settings):
    settings.KOEL_PARTITIONS_AHEAD = 0
    partitions_ensure([utc(2024, 1, 1)])
    call_command("partitions")
    out = StringIO()

    call_command("partitions", "--list", stdout=out)

    lines = out.getvalue().splitlines()
    assert f"rates_exchangerate_2024_jan  {bounds('2024-01-01', '2024-02-01')}" in lines
    assert f"{DEFAULT}  DEFAULT" in lines
    assert lines[-1] == "4 partitions; 0 created, 0 dropped."


def test_monthly_utc_strategy_plans_partitions_from_midnight(settings):
    plan = manager.plan(skip_delete=True)

    names = [f"rates_exchangerate_{partition.name()}" for partition in plan.creations]
    # The manager is built at import, with the environment's KOEL_PARTITIONS_AHEAD (3 by default).
    assert names == [name_months_from_now(i) for i in range(settings.KOEL_PARTITIONS_AHEAD + 1)]
    assert all(p.from_values.endswith("-01 00:00:00") for p in plan.creations)
    assert all(p.to_values.endswith("-01 00:00:00") for p in plan.creations)


def test_pgpartition_creates_partitions_partitions_ensure_recognises(capsys):
    call_command("pgpartition", "--yes", "--skip-delete")

    assert "Operations applied." in capsys.readouterr().out
    current = name_months_from_now(0)
    today = datetime.now(UTC)
    start = f"{today.year}-{today.month:02d}-01"
    assert existing_partitions()[current].startswith(f"FOR VALUES FROM ('{start} 00:00:00+00')")
    assert partitions_ensure([today]) == []


def test_pgpartition_and_partitions_maintain_agree_on_retention(settings):
    settings.KOEL_RATE_RETENTION_MONTHS = 12
    current = table.month_start(datetime.now(UTC))
    months = [current - n * table.MONTH for n in (13, 12, 11)]
    partitions_ensure(months)
    retention_manager = PostgresPartitioningManager(
        [
            PostgresPartitioningConfig(
                model=ExchangeRate,
                strategy=MonthlyUtcStrategy(
                    size=PostgresTimePartitionSize(months=1),
                    count=1,
                    max_age=partitioning._retention(),
                ),
            )
        ]
    )

    planned = [p.name() for p in retention_manager.plan(skip_create=True).deletions]
    _, dropped = partitions_maintain()

    assert dropped == [table.partition_name(months[0])]
    assert [f"rates_exchangerate_{name}" for name in planned] == dropped
