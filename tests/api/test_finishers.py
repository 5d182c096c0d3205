"""The amount the rate views' finishers read (rates.api.finishers): what the views' validation
reads, to the digit, since the replay in front of Django answers with it."""

import pytest
from rest_framework.exceptions import ValidationError

from rates.api.finishers import amount
from rates.api.params import AmountField
from rates.exceptions import InvalidQuery


@pytest.mark.parametrize(
    "given",
    ["0", "00", "1", "1.50", "007.50", "0.000000000001", "9" * 28, "9" * 28 + "." + "9" * 12],
)
def test_a_plain_amount_reads_as_the_views_read_it(given):
    assert str(amount({"amount": given})) == str(AmountField().run_validation(given))


@pytest.mark.parametrize("given", ["1E+5", " 12 ", "0" * 30 + "1", "1.0"])
def test_other_amounts_the_views_accept_read_the_same(given):
    assert str(amount({"amount": given})) == str(AmountField().run_validation(given))


@pytest.mark.parametrize(
    "given", ["-1", "abc", "", "NaN", "1.0000000000001", "1" + "0" * 28, "1E+30", "1E+29"]
)
def test_amounts_the_views_refuse_are_refused(given):
    with pytest.raises((ValidationError, InvalidQuery)):
        amount({"amount": given})
