from datetime import UTC, datetime
from decimal import Decimal

from rates.types import RateRow
from scrapers.items import RateItem
from scrapers.pipelines import RateNormalizePipeline

WHEN = datetime(2026, 11, 20, 15, tzinfo=UTC)


def test_normalize_divides_out_the_quoting_unit():
    row = RateNormalizePipeline().process_item(
        RateItem("JPY", "USD", Decimal("0.6512"), WHEN, Decimal(100))
    )

    assert row == RateRow("JPY", "USD", Decimal("0.006512"), WHEN)


def test_normalize_keeps_a_rate_per_one_unit_digit_for_digit():
    row = RateNormalizePipeline().process_item(RateItem("USD", "BTC", Decimal("0.0000100"), WHEN))

    # Whether BTC is a currency Koel stores is rates.ingest.validation's call, not the pipeline's.
    assert row == RateRow("USD", "BTC", Decimal("0.0000100"), WHEN)
