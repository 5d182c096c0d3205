"""The spiders' one number reader (scrapers/numbers.py)."""

from decimal import Decimal

import pytest

from scrapers.numbers import rate_number, rate_text


@pytest.mark.parametrize(
    ("value", "expected"),
    [(Decimal("0.8373719808658"), "0.8373719808658"), (1, "1"), (Decimal("4.3E-5"), "0.000043")],
)
def test_a_json_number_is_kept_digit_for_digit(value, expected):
    assert rate_number(value, source="floatrates") == Decimal(expected)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("1.08", "floatrates: rate for USD is not a number: '1.08'"),
        (None, "floatrates: rate for USD is not a number: None"),
        (True, "floatrates: rate for USD is not a number: True"),
        (
            1.08,
            "floatrates: rate for USD is not a number: 1.08",
        ),  # parse_float=Decimal was forgotten
        (Decimal(0), "floatrates: rate for USD is not a positive number: 0"),
        (-2, "floatrates: rate for USD is not a positive number: -2"),
        (Decimal("NaN"), "floatrates: rate for USD is not a positive number: NaN"),
        (Decimal("Infinity"), "floatrates: rate for USD is not a positive number: Infinity"),
    ],
)
def test_a_json_value_that_is_not_a_positive_number_is_a_clear_error(value, message):
    with pytest.raises(ValueError, match="floatrates") as caught:
        rate_number(value, source="floatrates", what="rate for USD")

    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("text", "options", "expected"),
    [
        ("1.3617", {}, "1.3617"),
        ("  154.300000\n", {}, "154.300000"),
        ("10,5", {"decimal": ","}, "10.5"),
        ("1,374,507.511391", {"grouping": True}, "1374507.511391"),
        ("1374507.511391", {"grouping": True}, "1374507.511391"),
    ],
)
def test_text_figures_read_as_exact_decimals(text, options, expected):
    assert rate_text(text, source="x", **options) == Decimal(expected)


@pytest.mark.parametrize(
    ("text", "options", "message"),
    [
        ("n/a", {}, "not a plain decimal: 'n/a'"),
        ("ND", {}, "not a plain decimal: 'ND'"),
        ("1e5", {}, "not a plain decimal: '1e5'"),
        ("NaN", {}, "not a plain decimal: 'NaN'"),
        ("154,3", {"grouping": True}, "not a plain decimal: '154,3'"),
        ("1,374,507.51", {}, "not a plain decimal: '1,374,507.51'"),
        ("", {}, "not a plain decimal: ''"),
        (None, {}, "not text: None"),
        ("0.0000", {}, "not a positive number: 0.0000"),
        ("-1.5", {}, "not a positive number: -1.5"),
    ],
)
def test_text_that_is_not_a_positive_plain_decimal_is_a_clear_error(text, options, message):
    with pytest.raises(ValueError, match="fed_h10") as caught:
        rate_text(text, source="fed_h10", what="EUR/USD", **options)

    assert str(caught.value) == f"fed_h10: EUR/USD is {message}"
