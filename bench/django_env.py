"""What every bench script does before measuring, for the scripts that import it (bench/stream.py,
bench/alerts.py, bench/live_tick.py; the older scripts each carry their own copy): the database
checked and loaded, and the line saying where and when the run was made."""

import os
import sys
from datetime import UTC, datetime

from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from rates.models import Currency


def ensure_database_ready() -> None:
    """Exit unless migrations are applied; load currencies and sources if there are none."""
    executor = MigrationExecutor(connection)
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        sys.exit("Unapplied migrations: run `manage.py migrate` against this database first.")
    if not Currency.objects.exists():
        call_command("bootstrap", "--skip-history")


def run_line() -> str:
    """The database's version, the CPUs, the load and the time of this run."""
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"{connection.vendor} {connection.pg_version}, {os.cpu_count()} CPUs, load {load}; "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    )
