"""A decimal column with no fixed precision, so a rate is stored exactly as its source gave it."""

from decimal import Decimal

from django.db import models


class ExactDecimalField(models.DecimalField):
    """PostgreSQL `numeric` without (precision, scale).

    Django's DecimalField insists on max_digits/decimal_places, which would round a quote such as
    floatrates' 0.000012345678901234567 to the column's scale. An unconstrained numeric keeps every
    digit (up to 131072 before the point, 16383 after), and psycopg already returns Decimal.
    """

    def __init__(self, *args, **kwargs) -> None:
        kwargs.pop("max_digits", None)
        kwargs.pop("decimal_places", None)
        super().__init__(*args, **kwargs)

    def _check_decimal_places(self):
        return []  # deliberately unconstrained; see the class docstring

    def _check_max_digits(self):
        return []

    def _check_decimal_places_and_max_digits(self, **kwargs):
        return []

    def deconstruct(self):
        name, _path, args, kwargs = super().deconstruct()
        kwargs.pop("max_digits", None)
        kwargs.pop("decimal_places", None)
        return name, "rates.fields.ExactDecimalField", args, kwargs

    def db_type(self, connection) -> str:
        return "numeric"

    def get_db_prep_value(self, value, connection, prepared=False):
        return None if value is None else Decimal(value)
