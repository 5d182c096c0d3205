from datetime import UTC, datetime
from decimal import Decimal

import pytest
from scrapy.exceptions import DropItem

from rates.types import RateRow
from scrapers.items import RateItem
from scrapers.pipelines import RateNormalizePipeline

WHEN = datetime(2026, 11, 20, 15, tzinfo=UTC)


@pytest.fixture
def normalize():
    pipeline = RateNormalizePipeline()
    pipeline.codes = {"USD", "JPY", "EUR"}
    return pipeline


def test_normalize_divides_out_the_quoting_unit(normalize):
    row = normalize.process_item(RateItem("JPY", "USD", Decimal("0.6512"), WHEN, Decimal(100)))

    assert row == RateRow("JPY", "USD", Decimal("0.006512"), WHEN)


@pytest.mark.parametrize(
    "item",
    [
        RateItem("USD", "BTC", Decimal("0.00001"), WHEN),  # not a currency Koel knows
        RateItem("USD", "EUR", Decimal(0), WHEN),
        RateItem("USD", "EUR", Decimal(-1), WHEN),
        RateItem("USD", "EUR", Decimal("NaN"), WHEN),
        RateItem("USD", "USD", Decimal(1), WHEN),
        RateItem("USD", "EUR", Decimal(1), WHEN, Decimal(0)),
    ],
)
def test_normalize_drops_what_cannot_be_stored(normalize, item):
    with pytest.raises(DropItem):
        normalize.process_item(item)
