"""Run by tests/reliability/test_scale_replica.py in a child process whose DATABASE_URL is a
throwaway primary and DATABASE_REPLICA_URL its streaming replica: exercises rates.replica's
rule through rates.reads and prints one JSON object of what each case read, and from where.

    python -m tests.reliability.replica_probe   (KOEL_PROBE_TOOLS, KOEL_PROBE_ROOT and
                                                 KOEL_PROBE_REPLICA_PORT name the replica)
"""

import json
import os
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "koel.settings")
django.setup()

from django.db import connections, transaction  # noqa: E402

from rates import replica  # noqa: E402
from rates.ingest.loading import currencies_load, sources_load  # noqa: E402
from rates.ingest.services import rates_upsert  # noqa: E402
from rates.reads import rate_for  # noqa: E402
from rates.types import RateRow  # noqa: E402
from tests.reliability.streaming import Pair  # noqa: E402

served: list[str] = []  # the alias rates.replica chose for each read (rates.reads' raw
# queries go through psycopg's own cursor, past Django's execute wrappers)
_chosen = replica.read_alias


def recording_read_alias() -> str:
    served.append(_chosen())
    return served[-1]


replica.read_alias = recording_read_alias


def read() -> dict:
    served.clear()
    answer = rate_for("EUR", "USD")
    return {"rate": str(answer.rate), "from": sorted(set(served))}


def write(rate: str, hour: int) -> None:
    moment = datetime(2026, 12, 1, hour, tzinfo=UTC)
    rates_upsert(source="ecb", rows=[RateRow("EUR", "USD", Decimal(rate), moment, False)])


def replica_sql(statement: str) -> str:
    with connections[replica.REPLICA].cursor() as cursor:
        cursor.execute(statement)
        return str(cursor.fetchone()[0])


def caught_up(timeout: float = 10) -> None:
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()::text")
        wanted = replica.lsn_number(cursor.fetchone()[0])
    deadline = time.monotonic() + timeout
    while replica.lsn_number(replica_sql("SELECT pg_last_wal_replay_lsn()::text")) < wanted:
        if time.monotonic() > deadline:
            raise TimeoutError("the replica did not catch up")
        time.sleep(0.05)


def main() -> dict:
    tools, root = Path(os.environ["KOEL_PROBE_TOOLS"]), Path(os.environ["KOEL_PROBE_ROOT"])
    pair = Pair(tools, root)
    pair.replica.port = int(os.environ["KOEL_PROBE_REPLICA_PORT"])
    currencies_load()
    sources_load()
    write("1.10", 10)
    found = {}
    caught_up()
    found["caught_up"] = read()
    replica_sql("SELECT pg_wal_replay_pause()")
    write("1.20", 11)
    found["lagging"] = read()
    found["lagging_replica_itself"] = replica_sql(
        "SELECT rate FROM rates_exchangerate ORDER BY observed_at DESC LIMIT 1"
    )
    replica_sql("SELECT pg_wal_replay_resume()")
    caught_up()
    found["resumed"] = read()
    with transaction.atomic():
        found["in_transaction"] = read()
    replica.scope_begin()
    found["scope_before_write"] = read()
    write("1.30", 12)
    found["scope_after_write"] = read()
    replica.scope_end()
    pair.replica.stop("immediate")
    started = time.monotonic()
    found["replica_down"] = read()
    found["replica_down"]["seconds"] = round(time.monotonic() - started, 2)
    started = time.monotonic()
    found["replica_still_down"] = read()
    found["replica_still_down"]["seconds"] = round(time.monotonic() - started, 2)
    pair.replica.start()
    time.sleep(float(os.environ["KOEL_REPLICA_RETRY_SECONDS"]) + 0.2)
    caught_up()
    found["replica_back"] = read()
    return found


if __name__ == "__main__":
    print(json.dumps(main()))
