from datetime import UTC, datetime, time
from decimal import Decimal

from django import forms

from rates.reads import currency_list


def _currency_choices() -> list[tuple[str, str]]:
    return [(c.code, f"{c.icon} {c.code} — {c.name}") for c in currency_list(active=True)]


class ConverterForm(forms.Form):
    amount = forms.DecimalField(min_value=Decimal(0), max_digits=24, decimal_places=8, initial=1)
    base = forms.ChoiceField(label="From", choices=_currency_choices, initial="USD")
    target = forms.ChoiceField(label="To", choices=_currency_choices, initial="EUR")
    date = forms.DateField(
        required=False,
        help_text="Leave empty for the latest rate.",
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def clean(self):
        data = super().clean()
        if data.get("base") and data.get("base") == data.get("target"):
            self.add_error("target", "Choose a currency other than the one you convert from.")
        return data

    def at(self) -> datetime | None:
        """End of the chosen day in UTC: the rate in force that day."""
        day = self.cleaned_data.get("date")
        return datetime.combine(day, time.max, tzinfo=UTC) if day else None
