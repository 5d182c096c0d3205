"""Monthly partitions of the exchange-rate table.

Partitions are named the way django-postgres-extra names them (`rates_exchangerate_2024_jan`), so
`manage.py pgpartition` and Koel's own code agree. Two things the library does not do are done
here: month boundaries fall on midnight UTC (its strategy keeps the hour it runs at, upstream
issue #269), and a month that already has rows in the DEFAULT partition can still get its own
partition (PostgreSQL refuses to create it while the default holds rows of its range, so they are
moved in the same transaction).
"""

from collections.abc import Iterable, Iterator
from datetime import UTC, datetime

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.db import connection, transaction
from psqlextra.partitioning import (
    PostgresCurrentTimePartitioningStrategy,
    PostgresPartitioningManager,
    PostgresTimePartition,
    PostgresTimePartitionSize,
)
from psqlextra.partitioning.config import PostgresPartitioningConfig
from psqlextra.partitioning.constants import AUTO_PARTITIONED_COMMENT

from rates.models import ExchangeRate
from rates.table import (
    DEFAULT_PARTITION,
    MONTH,
    TABLE,
    existing_partitions,
    month_of,
    month_start,
    months_between,
    partition_name,
)

# One lock id for every process that creates or drops partitions of this table.
_LOCK_KEY = 0x4B6F656C  # "Koel"


class MonthlyUtcStrategy(PostgresCurrentTimePartitioningStrategy):
    """psqlextra's current-time strategy with boundaries at midnight UTC (for `pgpartition`)."""

    def get_start_datetime(self) -> datetime:
        # The library keeps the hour of "now" in the boundary; strip it (and the zone, which
        # psqlextra formats as a naive string read in the session's UTC).
        return month_start(datetime.now(UTC)).replace(tzinfo=None)

    def to_delete(self) -> Iterator[PostgresTimePartition]:
        # The library starts deleting at the month that contains now - max_age, which still holds
        # rows inside the retention window. Like partitions_maintain, keep that month: only
        # months that end at or before now's month start - max_age go.
        if not self.max_age:
            return
        current = self.get_start_datetime() - self.max_age - MONTH
        while True:
            yield PostgresTimePartition(size=self.size, start_datetime=current)
            current -= MONTH


def _retention() -> relativedelta | None:
    months = settings.KOEL_RATE_RETENTION_MONTHS
    return relativedelta(months=months) if months else None


manager = PostgresPartitioningManager(
    [
        PostgresPartitioningConfig(
            model=ExchangeRate,
            strategy=MonthlyUtcStrategy(
                size=PostgresTimePartitionSize(months=1),
                count=settings.KOEL_PARTITIONS_AHEAD + 1,
                max_age=_retention(),
            ),
        )
    ]
)


_known: set[str] = set()  # partitions this process has seen; saves a catalog query per write


def partitions_ensure(months: Iterable[datetime]) -> list[str]:
    """Create the monthly partitions that are missing for `months`; returns the names created."""
    wanted = {partition_name(m): month_start(m) for m in months}  # keyed by UTC month
    if wanted.keys() <= _known:
        return []
    created = []
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])
        existing = existing_partitions()
        for name, start in sorted(wanted.items(), key=lambda item: item[1]):
            if name not in existing:
                _create_month(name, start)
                created.append(name)
        # Remember them only once committed: a rolled-back creation must be retried next time.
        transaction.on_commit(lambda: _known.update(wanted))
    return created


def _create_month(name: str, start: datetime) -> None:
    """Create one month's partition, first moving that month's rows out of the default partition."""
    bounds = [start, start + MONTH]
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            CREATE TEMP TABLE koel_partition_move ON COMMIT DROP AS
            WITH moved AS (
                DELETE FROM {DEFAULT_PARTITION} WHERE observed_at >= %s AND observed_at < %s
                RETURNING *
            ) SELECT * FROM moved
            """,  # noqa: S608 - identifiers are module constants, values are parameters
            bounds,
        )
        cursor.execute(
            f'CREATE TABLE "{name}" PARTITION OF {TABLE} FOR VALUES FROM (%s) TO (%s)', bounds
        )
        cursor.execute(f"COMMENT ON TABLE \"{name}\" IS '{AUTO_PARTITIONED_COMMENT}'")
        cursor.execute(f"INSERT INTO {TABLE} SELECT * FROM koel_partition_move")  # noqa: S608
        cursor.execute("DROP TABLE koel_partition_move")


def partitions_drop_older_than(cutoff: datetime) -> list[str]:
    """Drop whole monthly partitions that end at or before `cutoff` (retention)."""
    dropped = []
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])
        for name in sorted(existing_partitions()):
            month = month_of(name)
            if month is not None and month + MONTH <= cutoff:
                cursor.execute(f'DROP TABLE "{name}"')
                dropped.append(name)
    _known.difference_update(dropped)
    return dropped


def partitions_maintain(*, now: datetime | None = None) -> tuple[list[str], list[str]]:
    """Daily upkeep: partitions from last month to KOEL_PARTITIONS_AHEAD months ahead exist, and
    with a retention set, whole months older than it are dropped. Returns (created, dropped)."""
    now = now or datetime.now(UTC)
    current = month_start(now)
    created = partitions_ensure(
        months_between(current - MONTH, current + settings.KOEL_PARTITIONS_AHEAD * MONTH)
    )
    dropped = []
    if settings.KOEL_RATE_RETENTION_MONTHS:
        dropped = partitions_drop_older_than(current - settings.KOEL_RATE_RETENTION_MONTHS * MONTH)
    return created, dropped
