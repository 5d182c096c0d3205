"""The converter's form: a GET form, so that a conversion is a link and works without JavaScript.

Every message names the field and says what would be accepted: the page shows it next to the
field it is about."""

from datetime import UTC, datetime, time
from datetime import date as Day  # `date` is also a field of the form below
from decimal import Decimal, InvalidOperation

from django import forms
from django.utils import timezone

from pages.pickers import Option
from rates.exceptions import InvalidQuery
from rates.reads import check_amount

# datetime arithmetic (the rate look-back) would overflow near year 1; no source reaches back
# this far.
EARLIEST_DATE = Day(1900, 1, 1)


class CodeField(forms.ChoiceField):
    """A currency picker; a code typed by hand (`?base=usd`) is read case-insensitively."""

    default_error_messages = {
        "invalid_choice": "Unknown currency code %(value)s: choose one from the list.",
    }

    def to_python(self, value) -> str:
        return super().to_python(value).strip().upper()


class ConverterForm(forms.Form):
    amount = forms.CharField(initial="1", max_length=64)
    base = CodeField(label="From", initial="USD")
    target = CodeField(label="To", initial="EUR")
    date = forms.DateField(
        required=False,
        help_text="Leave empty for the latest rate.",
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "Enter a date as YYYY-MM-DD, e.g. 2024-01-05."},
    )

    def __init__(self, *args, options: list[Option], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        choices = [(o.code, o.label) for o in options]
        self.fields["base"].choices = self.fields["target"].choices = choices

    def clean_amount(self) -> Decimal:
        text = self.cleaned_data["amount"].strip().replace("_", "")
        try:
            amount = Decimal(text)
        except InvalidOperation:
            raise forms.ValidationError(
                f"{text!r} is not a number: enter an amount such as 100 or 12.50."
            ) from None
        try:
            check_amount(amount)  # the API's own bounds: finite, ≥ 0, below 1E+30
        except InvalidQuery as exc:
            raise forms.ValidationError(str(exc)) from None
        return amount

    def clean_date(self) -> Day | None:
        day = self.cleaned_data["date"]
        if day is not None and day > timezone.now().date():
            raise forms.ValidationError(f"{day} is in the future: choose today or earlier.")
        if day is not None and day < EARLIEST_DATE:
            raise forms.ValidationError(f"Koel holds no rates before {EARLIEST_DATE}.")
        return day

    def clean(self):
        data = super().clean()
        if data.get("base") and data.get("base") == data.get("target"):
            self.add_error("target", "Choose a currency other than the one you convert from.")
        return data

    def at(self) -> datetime | None:
        """End of the chosen day in UTC: the rate in force that day."""
        day = self.cleaned_data.get("date")
        return datetime.combine(day, time.max, tzinfo=UTC) if day else None
