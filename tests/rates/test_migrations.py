from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("rates", "0001_initial")]
AFTER = [("rates", "0002_latest_rates_per_base")]


def latest() -> list[tuple[str, str]]:
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_latest_rows_per_pair_are_folded_into_one_row_per_base(currencies, sources):
    old = migrate(BEFORE)
    when = datetime(2024, 1, 2, 15, tzinfo=UTC)
    for target, rate in (("USD", "1.0956"), ("JPY", "155.61")):
        old.get_model("rates", "LatestRate").objects.create(
            base_id="EUR", target_id=target, source_id="ecb", observed_at=when, rate=Decimal(rate)
        )
    try:
        new = migrate(AFTER)
        [row] = new.get_model("rates", "LatestRates").objects.all()
    finally:
        migrate(latest())  # the schema every later test expects

    assert (row.base_id, row.source_id, row.newest) == ("EUR", "ecb", when)
    assert row.quotes.replace(" ", "") == (
        '{"JPY":["155.61","2024-01-02T15:00:00.000000+00:00",false],'
        '"USD":["1.0956","2024-01-02T15:00:00.000000+00:00",false]}'
    )
