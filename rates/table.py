"""The partitioned exchange-rate table: its name, and the months its partitions hold.

Readers (a coverage scan month by month) and the partition upkeep (rates.ingest.partitions) both
need these; neither owns them.
"""

from collections.abc import Iterator
from datetime import UTC, datetime

from dateutil.relativedelta import relativedelta
from django.db import connection

from rates.models import ExchangeRate

TABLE = ExchangeRate._meta.db_table
DEFAULT_PARTITION = f"{TABLE}_default"
MONTH = relativedelta(months=1)


def month_start(moment: datetime) -> datetime:
    """Midnight UTC on the first day of `moment`'s month (in UTC)."""
    moment = moment.astimezone(UTC)
    return datetime(moment.year, moment.month, 1, tzinfo=UTC)


def months_between(first: datetime, last: datetime) -> Iterator[datetime]:
    """Every month start from first's month to last's month, inclusive."""
    current, end = month_start(first), month_start(last)
    while current <= end:
        yield current
        current += MONTH


def partition_name(moment: datetime) -> str:
    """Name of the partition holding `moment` (its UTC month)."""
    return f"{TABLE}_{month_start(moment).strftime('%Y_%b').lower()}"


def existing_partitions() -> dict[str, str]:
    """Names of the table's partitions mapped to their bound expressions."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.relname, pg_get_expr(c.relpartbound, c.oid)
            FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
            WHERE i.inhparent = %s::regclass
            """,
            [TABLE],
        )
        return dict(cursor.fetchall())


def month_of(name: str) -> datetime | None:
    """The month a monthly partition holds, or None for the default one."""
    try:
        suffix = name.removeprefix(f"{TABLE}_")
        return datetime.strptime(f"{suffix} +0000", "%Y_%b %z")
    except ValueError:
        return None  # the default partition, or one an admin made by hand
